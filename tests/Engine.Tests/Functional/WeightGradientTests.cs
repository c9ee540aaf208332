using Engine.Devices;
using Engine.Ops;
using Engine.Ops.Convolution;
using Engine.Tensors;
using Engine.Tests.Infrastructure;
using P = Engine.Tests.Infrastructure.RefConv.Params;

namespace Engine.Tests.Functional;

/// <summary>
/// The kernel path's weight gradient: one GEMM over every image's columns, split along K into
/// slices whose partial results are summed in order when the weights alone are too few to fill a
/// GPU. These cases make several slices, a shorter last one, and groups, and are
/// checked against the float64 sum over images and positions; the bias gradient (a two-stage
/// per-channel reduction) alongside. The host path is off, so the ILGPU kernels run on every device.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class WeightGradientTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    public static TheoryData<P> Cases() => new()
    {
        new P(5, 3, 25, 25, 4, 3, 3, PH: 1, PW: 1),                 // K 3125: slices of 1042, 1042, 1041
        new P(5, 4, 25, 25, 6, 3, 3, PH: 1, PW: 1, Groups: 2),      // the same, per group
        new P(7, 4, 22, 22, 3, 1, 1),                               // pointwise, K 3388
        new P(13, 2, 33, 33, 2, 3, 3, SH: 2, SW: 2, DH: 2, DW: 2),  // strided, dilated: 15x15 outputs, K 2925
        new P(1, 3, 70, 51, 4, 3, 3),                               // one image split within itself, K 3332
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SlicedWeightGradientMatchesTheSumOverImages(P p)
    {
        var g = Spec(p).Geometry;
        long k = (long)g.N * g.ColumnCols;
        var slicing = WeightGradientSlicing.For((long)g.OutChannels * g.ColumnRows, k);
        Assert.True(slicing.Slices(k) > 1 && k % slicing.Depth != 0, $"{p} makes {slicing.Slices(k)} slices of {slicing.Depth} over {k}: the case does not test the split");

        float[] x = Reference.Random(p.N * p.Cin * p.H * p.W, Reference.SeedOf(p));
        float[] dy = Reference.Random(p.N * p.Cout * p.OutH * p.OutW, Reference.SeedOf(p) + 1);
        int cinG = p.Cin / p.Groups;
        using var scope = DisposeScope.Enter();
        using var kernels = ExecutionPaths.Override(hostPath: false);
        var w = Tensor.Zeros(_device, p.Cout, cinG, p.KH, p.KW);
        var dw = Tensor.Full(_device, float.NaN, w.Shape); // overwritten, NaN and all
        var db = Tensor.Full(_device, float.NaN, p.Cout);
        var xs = Tensor.FromArray(_device, x, p.N, p.Cin, p.H, p.W);
        var dys = Tensor.FromArray(_device, dy, p.N, p.Cout, p.OutH, p.OutW);
        Conv2dOp.Backward(Spec(p), dys, xs, w, null, dw, db);

        var (expected, scale, bias, biasScale) = RefConv.WeightGradient(p, x, dy);
        int terms = p.N * p.OutH * p.OutW;
        Reference.AssertWithinDotBound(dw.ToArray(), expected, scale, terms, $"dw {p}");
        Reference.AssertWithinDotBound(db.ToArray(), bias, biasScale, terms, $"db {p}");

        // Accumulating adds this pass's gradient to what is there.
        var dwAgain = Tensor.Full(_device, 1f, w.Shape);
        Conv2dOp.Backward(Spec(p), dys, xs, w, null, dwAgain, null, accumulate: true);
        Reference.AssertWithinDotBound(dwAgain.ToArray(), expected.Select(v => v + 1).ToArray(), scale.Select(s => s + 1).ToArray(), terms + 1, $"dw accumulated {p}");
    }

    [Fact]
    public void SlicingDependsOnTheShapeAlone()
    {
        // A layer too small to fill a GPU is split; one large enough is one GEMM; K per slice stays deep.
        var small = WeightGradientSlicing.For(64 * 576, 128 * 1024);
        Assert.True(small.Slices(128 * 1024) >= 16);
        Assert.True(small.Depth >= WeightGradientSlicing.MinSliceDepth);
        Assert.Equal(1, WeightGradientSlicing.For(512 * 4608, 128 * 16).Slices(128 * 16));
        Assert.Equal(small, WeightGradientSlicing.For(64 * 576, 128 * 1024));
    }

    private static Conv2dSpec Spec(P p) =>
        Conv2dSpec.Create(new Shape(p.N, p.Cin, p.H, p.W), new Shape(p.Cout, p.Cin / p.Groups, p.KH, p.KW), (p.SH, p.SW), (p.PH, p.PW), (p.DH, p.DW), p.Groups);
}
