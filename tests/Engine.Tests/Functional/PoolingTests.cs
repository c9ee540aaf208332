using Engine.Ops.Upsampling;
using Engine.Tensors;
using Engine.Tests.Infrastructure;
using Win = Engine.Tests.Infrastructure.RefPool.Window;

namespace Engine.Tests.Functional;

[Collection(DeviceCollection.Name)]
public sealed class PoolingTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    public static TheoryData<Win> MaxCases() => new()
    {
        new Win(3, 8, 8, 2, 2, 2, 2),
        new Win(2, 7, 9, 3, 3, 2, 2, PH: 1, PW: 1),
        new Win(2, 9, 9, 3, 3, 1, 1, DH: 2, DW: 2),
        new Win(2, 8, 8, 3, 3, 2, 2, Ceil: true),
        new Win(1, 5, 5, 2, 2, 2, 2, PH: 1, PW: 1, Ceil: true),    // the last window would start in the padding: dropped
        new Win(2, 7, 6, 3, 2, 2, 1, PH: 1, PW: 0),
        new Win(1, 6, 7, 2, 3, 3, 4),                              // stride larger than the kernel
    };

    public static TheoryData<Win> AvgCases() => new()
    {
        new Win(3, 8, 8, 2, 2, 2, 2),
        new Win(2, 7, 9, 3, 3, 2, 2, PH: 1, PW: 1),
        new Win(2, 7, 9, 3, 3, 2, 2, PH: 1, PW: 1, IncludePad: false),
        new Win(2, 8, 8, 3, 3, 2, 2, PH: 1, PW: 1, Ceil: true),
        new Win(2, 8, 7, 3, 3, 2, 2, PH: 1, PW: 1, Ceil: true, IncludePad: false),
    };

    [Theory]
    [MemberData(nameof(MaxCases))]
    public void MaxPoolMatchesTheReferenceExactly(Win p)
    {
        float[] x = DistinctValues(p.Planes * p.H * p.W, Reference.SeedOf(p));
        using var scope = DisposeScope.Enter();
        var (y, indices) = Engine.Functional.MaxPool2d(Tensor.FromArray(_device, x, 1, p.Planes, p.H, p.W), (p.KH, p.KW), (p.SH, p.SW), (p.PH, p.PW), (p.DH, p.DW), p.Ceil);
        Assert.Equal(new Shape(1, p.Planes, p.OutH, p.OutW), y.Shape);
        var (values, expectedIndices) = RefPool.MaxPool(p, GradCheck.Widen(x)[0]);
        Reference.AssertExactly(values.Select(v => (float)v).ToArray(), y.ToArray(), $"MaxPool2d {p}");
        Assert.Equal(expectedIndices, indices.ToArray());
    }

    [Theory]
    [MemberData(nameof(MaxCases))]
    public void MaxPoolBackwardMatchesCentralDifferences(Win p)
    {
        float[] x = DistinctValues(p.Planes * p.H * p.W, Reference.SeedOf(p) + 1);
        float[] dy = Reference.Random(p.Planes * p.OutH * p.OutW, Reference.SeedOf(p) + 2);
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, 1, p.Planes, p.H, p.W);
        var (_, indices) = Engine.Functional.MaxPool2d(input, (p.KH, p.KW), (p.SH, p.SW), (p.PH, p.PW), (p.DH, p.DW), p.Ceil);
        var dx = Engine.Functional.MaxPool2dBackward(Tensor.FromArray(_device, dy, 1, p.Planes, p.OutH, p.OutW), indices, input.Shape,
            (p.KH, p.KW), (p.SH, p.SW), (p.PH, p.PW), (p.DH, p.DW), p.Ceil);
        var numeric = GradCheck.Numeric(a => RefPool.MaxPool(p, a[0]).Values, GradCheck.Widen(x), GradCheck.Widen(dy)[0], 0, step: 1e-3);
        GradCheck.AssertClose(dx.ToArray(), numeric, 1e-5, 1, $"MaxPool2d backward {p}");
    }

    [Fact]
    public void MaxPoolAndUnpoolReproduceTheWorkedExample()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, [1, 2, 6, 3, 3, 5, 2, 1, 1, 2, 2, 1, 7, 3, 4, 8], 1, 1, 4, 4);
        var (pooled, indices) = Engine.Functional.MaxPool2d(x, 2);
        Assert.Equal([5f, 6f, 7f, 8f], pooled.ToArray());
        Assert.Equal([5, 2, 12, 15], indices.ToArray());
        var unpooled = Engine.Functional.MaxUnpool2d(Tensor.FromArray(_device, [1, 2, 3, 4], 1, 1, 2, 2), indices, 2);
        Assert.Equal([0f, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 4], unpooled.ToArray());
    }

    [Fact]
    public void NanWinsAndTiesGoToTheFirstMaximum()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, [1, float.NaN, 3, 3, 2, 4, 5, 5, 3], 1, 1, 3, 3);
        var (y, indices) = Engine.Functional.MaxPool2d(x, 2, 1);
        float[] values = y.ToArray();
        Assert.True(float.IsNaN(values[0]) && float.IsNaN(values[1]));
        Assert.Equal([1, 1, 6, 7], indices.ToArray()); // NaN at 1; the tie 5, 5 in window (1, 0) keeps the first (row 2, col 0)
        Assert.Equal(5f, values[2]);
    }

    [Theory]
    [MemberData(nameof(AvgCases))]
    public void AvgPoolForwardAndBackwardMatchTheReference(Win p)
    {
        float[] x = Reference.Random(p.Planes * p.H * p.W, Reference.SeedOf(p) + 3);
        float[] dy = Reference.Random(p.Planes * p.OutH * p.OutW, Reference.SeedOf(p) + 4);
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.AvgPool2d(Tensor.FromArray(_device, x, 1, p.Planes, p.H, p.W), (p.KH, p.KW), (p.SH, p.SW), (p.PH, p.PW), p.Ceil, p.IncludePad);
        Assert.Equal(new Shape(1, p.Planes, p.OutH, p.OutW), y.Shape);
        GradCheck.AssertClose(y.ToArray(), RefPool.AvgPool(p, GradCheck.Widen(x)[0]), 1e-6, 1, $"AvgPool2d {p}");
        var dx = Engine.Functional.AvgPool2dBackward(Tensor.FromArray(_device, dy, 1, p.Planes, p.OutH, p.OutW), new Shape(1, p.Planes, p.H, p.W),
            (p.KH, p.KW), (p.SH, p.SW), (p.PH, p.PW), p.Ceil, p.IncludePad);
        var numeric = GradCheck.Numeric(a => RefPool.AvgPool(p, a[0]), GradCheck.Widen(x), GradCheck.Widen(dy)[0], 0);
        GradCheck.AssertClose(dx.ToArray(), numeric, 1e-5, 1, $"AvgPool2d backward {p}");
    }

    [Fact]
    public void GlobalAveragePoolingAveragesEachPlane()
    {
        float[] x = Reference.Random(2 * 3 * 5 * 7, 5);
        float[] dy = Reference.Random(6, 6);
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.GlobalAvgPool2d(Tensor.FromArray(_device, x, 2, 3, 5, 7));
        Assert.Equal(new Shape(2, 3), y.Shape);
        var expected = Enumerable.Range(0, 6).Select(p => x.Skip(p * 35).Take(35).Select(v => (double)v).Average()).ToArray();
        GradCheck.AssertClose(y.ToArray(), expected, 1e-6, 1, "GlobalAvgPool2d");
        var dx = Engine.Functional.GlobalAvgPool2dBackward(Tensor.FromArray(_device, dy, 2, 3), new Shape(2, 3, 5, 7));
        GradCheck.AssertClose(dx.ToArray(), Enumerable.Range(0, 210).Select(i => dy[i / 35] / 35.0).ToArray(), 1e-6, 1, "GlobalAvgPool2d backward");
    }

    [Theory]
    [InlineData(6, 6, 2, 2, 0, null)]
    [InlineData(5, 5, 2, 2, 0, 5)]      // explicit output size: the odd row PyTorch's U-Nets restore
    [InlineData(7, 7, 3, 2, 1, null)]   // overlapping windows: a value may be picked twice; the later write wins
    public void MaxUnpoolForwardAndBackwardMatchTheReference(int h, int w, int k, int s, int pad, int? outSize)
    {
        float[] x = DistinctValues(2 * h * w, h * 31 + k);
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, 1, 2, h, w);
        var (pooled, indices) = Engine.Functional.MaxPool2d(input, k, s, pad);
        int ph = pooled.Shape[2], pw = pooled.Shape[3];
        float[] values = Reference.Random(2 * ph * pw, 7);
        Engine.Ops.Convolution.Pair? size = outSize is int o ? new Engine.Ops.Convolution.Pair(o, o) : null;
        var y = Engine.Functional.MaxUnpool2d(Tensor.FromArray(_device, values, 1, 2, ph, pw), indices, k, s, pad, size);
        int oh = outSize ?? (ph - 1) * s - 2 * pad + k, ow = outSize ?? (pw - 1) * s - 2 * pad + k;
        Assert.Equal(new Shape(1, 2, oh, ow), y.Shape);
        int[] idx = indices.ToArray();
        GradCheck.AssertClose(y.ToArray(), RefPool.Unpool(2, ph * pw, oh * ow, GradCheck.Widen(values)[0], idx), 0, 1, $"MaxUnpool2d {h}x{w} k{k} s{s}");

        float[] dy = Reference.Random(2 * oh * ow, 8);
        var dx = Engine.Functional.MaxUnpool2dBackward(Tensor.FromArray(_device, dy, 1, 2, oh, ow), indices, k, s, pad, size);
        var expected = idx.Select((target, i) => (double)dy[i / (ph * pw) * oh * ow + target]).ToArray();
        GradCheck.AssertClose(dx.ToArray(), expected, 0, 1, "MaxUnpool2d backward");
    }

    [Fact]
    public void InvalidPoolingCallsAreRejected()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.Zeros(_device, 1, 2, 4, 4);
        Assert.Contains("padding (2, 2) must be non-negative and at most half the kernel size (3, 3)",
            Assert.Throws<ArgumentException>(() => Engine.Functional.MaxPool2d(x, 3, 1, 2)).Message);
        Assert.Contains("the window height 5 (kernel 5, dilation 1) is larger than the padded input height 4",
            Assert.Throws<ArgumentException>(() => Engine.Functional.MaxPool2d(x, 5)).Message);
        Assert.Contains("kernel_size must be positive", Assert.Throws<ArgumentException>(() => Engine.Functional.AvgPool2d(x, 0)).Message);
        var values = Tensor.Zeros(_device, 1, 2, 2, 2);
        var wrongIndices = IntTensor.Zeros(_device, 1, 2, 2, 3);
        Assert.Contains("indices shape [1, 2, 2, 3] must equal the input shape [1, 2, 2, 2]",
            Assert.Throws<ArgumentException>(() => Engine.Functional.MaxUnpool2d(values, wrongIndices, 2)).Message);
        var indices = IntTensor.Zeros(_device, 1, 2, 2, 2);
        Assert.Contains("output_size (6, 6) must lie strictly between default - stride and default + stride per axis (default (4, 4), stride (2, 2))",
            Assert.Throws<ArgumentException>(() => Engine.Functional.MaxUnpool2d(values, indices, 2, outputSize: 6)).Message);
    }

    [Fact]
    public void BilinearAlignCornersReproducesTheWorkedExample()
    {
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.Interpolate(Tensor.FromArray(_device, [1, 2, 3, 4], 1, 1, 2, 2), 4, mode: InterpolationMode.Bilinear, alignCorners: true).ToArray();
        double[] first = [1.0, 4 / 3.0, 5 / 3.0, 2.0], last = [3.0, 10 / 3.0, 11 / 3.0, 4.0];
        GradCheck.AssertClose(y[..4], first, 1e-6, 1, "Bilinear example");
        GradCheck.AssertClose(y[12..], last, 1e-6, 1, "Bilinear example");
        var nearest = Engine.Functional.Interpolate(Tensor.FromArray(_device, [1, 2, 3, 4], 1, 1, 2, 2), scaleFactor: 2).ToArray();
        Assert.Equal([1f, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], nearest);
    }

    public static TheoryData<int, int, int?, double?, InterpolationMode, bool> ResampleCases() => new()
    {
        { 3, 4, 7, null, InterpolationMode.Bilinear, false },
        { 3, 4, 7, null, InterpolationMode.Bilinear, true },
        { 5, 5, null, 1.7, InterpolationMode.Bilinear, false },
        { 5, 6, null, 2.0, InterpolationMode.Bilinear, true },
        { 8, 9, 3, null, InterpolationMode.Bilinear, false },   // downsampling by more than 2
        { 4, 4, 1, null, InterpolationMode.Bilinear, true },    // one output row: align_corners reads row 0
        { 3, 5, 7, null, InterpolationMode.Nearest, false },
        { 5, 5, null, 1.7, InterpolationMode.Nearest, false },
        { 9, 7, 4, null, InterpolationMode.Nearest, false },
    };

    [Theory]
    [MemberData(nameof(ResampleCases))]
    public void ResamplingForwardAndBackwardMatchTheReference(int h, int w, int? size, double? scale, InterpolationMode mode, bool alignCorners)
    {
        float[] x = Reference.Random(2 * h * w, h * 13 + w);
        using var scope = DisposeScope.Enter();
        Engine.Ops.Convolution.Pair? pairSize = size is int s ? new(s, s) : null;
        var spec = InterpolateSpec.Create(new Shape(1, 2, h, w), pairSize, scale is double f ? (f, f) : null, mode, alignCorners);
        var g = spec.Geometry;
        var y = Engine.Functional.Interpolate(Tensor.FromArray(_device, x, 1, 2, h, w), pairSize, scale, mode, alignCorners);
        Func<double[][], double[]> reference = mode == InterpolationMode.Bilinear
            ? a => RefPool.Bilinear(2, h, w, g.OutH, g.OutW, g.ScaleH, g.ScaleW, alignCorners, a[0])
            : a => RefPool.Nearest(2, h, w, g.OutH, g.OutW, g.ScaleH, g.ScaleW, a[0]);
        string what = $"Interpolate {mode} {h}x{w} -> {g.OutH}x{g.OutW} align={alignCorners}";
        GradCheck.AssertClose(y.ToArray(), reference(GradCheck.Widen(x)), 1e-5, 1, what);
        float[] dy = Reference.Random(2 * g.OutH * g.OutW, 3);
        var dx = Engine.Functional.InterpolateBackward(Tensor.FromArray(_device, dy, 1, 2, g.OutH, g.OutW), new Shape(1, 2, h, w), pairSize, scale, mode, alignCorners);
        var numeric = GradCheck.Numeric(reference, GradCheck.Widen(x), GradCheck.Widen(dy)[0], 0);
        GradCheck.AssertClose(dx.ToArray(), numeric, 1e-5, 1, what + " backward");
    }

    public static TheoryData<int, int, int?, double, double, InterpolationMode, bool> PerAxisCases() => new()
    {
        { 4, 5, null, 2.0, 1.5, InterpolationMode.Bilinear, false },  // scale_factor=(2, 1.5)
        { 4, 5, null, 0.5, 3.0, InterpolationMode.Bilinear, true },   // down on one axis, up on the other
        { 5, 4, null, 1.7, 0.75, InterpolationMode.Nearest, false },
        { 4, 5, 7, 0, 0, InterpolationMode.Bilinear, false },         // size=(7, 3)
        { 4, 5, 7, 0, 0, InterpolationMode.Bilinear, true },
        { 6, 5, 7, 0, 0, InterpolationMode.Nearest, false },
    };

    [Theory]
    [MemberData(nameof(PerAxisCases))]
    public void InterpolateTakesASizeOrScaleFactorPerAxis(int h, int w, int? sizeH, double scaleH, double scaleW, InterpolationMode mode, bool alignCorners)
    {
        float[] x = Reference.Random(2 * h * w, h * 7 + w);
        using var scope = DisposeScope.Enter();
        Engine.Ops.Convolution.Pair? size = sizeH is int s ? (s, 3) : null;
        ScaleFactor? scale = sizeH is null ? (scaleH, scaleW) : null;
        var y = Engine.Functional.Interpolate(Tensor.FromArray(_device, x, 1, 2, h, w), size, scale, mode, alignCorners);
        // PyTorch: out = floor(in * scale) per axis, sampled at 1 / scale (or in / out for a size; (in - 1) / (out - 1) aligned).
        int outH = sizeH ?? (int)Math.Floor(h * scaleH), outW = sizeH is null ? (int)Math.Floor(w * scaleW) : 3;
        Assert.Equal(new Shape(1, 2, outH, outW), y.Shape);
        double Step(int input, int output, double factor) => alignCorners ? (output > 1 ? (input - 1) / (double)(output - 1) : 0)
            : sizeH is null ? (float)(1 / factor) : (float)input / output;
        double stepH = Step(h, outH, scaleH), stepW = Step(w, outW, scaleW);
        Func<double[][], double[]> reference = mode == InterpolationMode.Bilinear
            ? a => RefPool.Bilinear(2, h, w, outH, outW, (float)stepH, (float)stepW, alignCorners, a[0])
            : a => RefPool.Nearest(2, h, w, outH, outW, (float)stepH, (float)stepW, a[0]);
        string what = $"Interpolate {mode} {h}x{w} -> {outH}x{outW} align={alignCorners}";
        GradCheck.AssertClose(y.ToArray(), reference(GradCheck.Widen(x)), 1e-5, 1, what);
        float[] dy = Reference.Random(2 * outH * outW, 5);
        var dx = Engine.Functional.InterpolateBackward(Tensor.FromArray(_device, dy, 1, 2, outH, outW), new Shape(1, 2, h, w), size, scale, mode, alignCorners);
        GradCheck.AssertClose(dx.ToArray(), GradCheck.Numeric(reference, GradCheck.Widen(x), GradCheck.Widen(dy)[0], 0), 1e-5, 1, what + " backward");

        // nn.Upsample in a graph gives the same.
        var g = new Engine.Graph.GraphBuilder(_device, training: false);
        var input = g.Input("x", 1, 2, h, w);
        var output = new Engine.Modules.Layers.Upsample(size, scale, mode, alignCorners).Call(input);
        using var plan = g.CompileInference(output);
        plan.Value(input).CopyFrom(x);
        plan.Forward();
        Assert.Equal(y.ToArray(), plan.Value(output).ToArray());
    }

    [Theory]
    [InlineData(2, 3, 4)]
    [InlineData(3, 2, 5)]
    public void BedOfNailsPutsEachValueAtItsBlocksCornerAndGathersItBack(int factor, int h, int w)
    {
        float[] x = Reference.Random(2 * 3 * h * w, 9);
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.BedOfNails(Tensor.FromArray(_device, x, 2, 3, h, w), factor);
        Assert.Equal(new Shape(2, 3, h * factor, w * factor), y.Shape);
        // Reference: zeros but at (i s, j s), which hold x[i, j]; its backward reads those corners (central differences).
        Func<double[][], double[]> reference = a =>
        {
            var r = new double[6 * h * factor * w * factor];
            for (int p = 0; p < 6; p++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                        r[(p * h * factor + i * factor) * w * factor + j * factor] = a[0][(p * h + i) * w + j];
            return r;
        };
        GradCheck.AssertClose(y.ToArray(), reference(GradCheck.Widen(x)), 0, 0, "BedOfNails");
        float[] dy = Reference.Random(6 * h * factor * w * factor, 5);
        var dx = Engine.Functional.BedOfNailsBackward(Tensor.FromArray(_device, dy, 2, 3, h * factor, w * factor), new Shape(2, 3, h, w), factor);
        GradCheck.AssertClose(dx.ToArray(), GradCheck.Numeric(reference, GradCheck.Widen(x), GradCheck.Widen(dy)[0], 0), 1e-6, 1, "BedOfNails backward");
        Assert.Contains("the factor must be at least 1, got 0", Assert.Throws<ArgumentException>(() => Engine.Functional.BedOfNails(Tensor.Zeros(_device, 1, 1, 2, 2), 0)).Message);
    }

    [Fact]
    public void ScaleFactorFollowsPyTorchsSizeRule()
    {
        var spec = InterpolateSpec.Create(new Shape(1, 1, 5, 7), null, (1.7, 1.7), InterpolationMode.Bilinear, false);
        Assert.Equal(8, spec.Geometry.OutH);   // floor(5 * 1.7)
        Assert.Equal(11, spec.Geometry.OutW);  // floor(7 * 1.7)
        Assert.Equal((float)(1 / 1.7), spec.Geometry.ScaleH);
        Assert.Contains("exactly one of size and scale_factor", Assert.Throws<ArgumentException>(() =>
            InterpolateSpec.Create(new Shape(1, 1, 5, 7), null, null, InterpolationMode.Bilinear, false)).Message);
        Assert.Contains("align_corners applies to bilinear", Assert.Throws<ArgumentException>(() =>
            InterpolateSpec.Create(new Shape(1, 1, 5, 7), 3, null, InterpolationMode.Nearest, true)).Message);
    }

    /// <summary>Distinct values 0.01 apart in random order: no ties and no kinks within a difference step.</summary>
    private static float[] DistinctValues(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => (i - count / 2) * 0.01f).OrderBy(_ => random.Next()).ToArray();
    }
}
