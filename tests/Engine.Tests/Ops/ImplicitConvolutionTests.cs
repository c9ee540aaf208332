using Engine.Devices;
using Engine.Kernels.Convolution;
using Engine.Ops;
using Engine.Ops.Convolution;
using Engine.Tensors;
using Engine.Tests.Infrastructure;
using P = Engine.Tests.Infrastructure.RefConv.Params;

namespace Engine.Tests.Ops;

/// <summary>
/// Convolution as implicit GEMM (<see cref="ImplicitConvolution"/>), the GPU's path: the forward
/// pass with its bias and ReLU in the epilogue, the input gradient without col2im, and the weight
/// gradient with the bias gradient as its last column, split into slices (with a shorter last one)
/// where the shape asks for it. Each against float64 sums from the definitions, with both block
/// sizes, which must agree bit for bit. On a device whose groups cannot hold the block-tiled
/// kernels (the CPU accelerator), forcing the path must be refused.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class ImplicitConvolutionTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    public static TheoryData<P> Cases() => new()
    {
        new P(2, 3, 9, 11, 5, 3, 3, PH: 1, PW: 1),                                   // odd sides, padded
        new P(3, 4, 13, 12, 6, 3, 3, SH: 2, SW: 2, PH: 1, PW: 2, DH: 2, DW: 1, Groups: 2), // strided, dilated, grouped
        new P(2, 5, 7, 7, 3, 1, 1),                                                  // pointwise on a 7x7 plane: folded
        new P(2, 5, 16, 16, 70, 1, 1),                                               // pointwise on a 256-pixel plane: the plain operand
        new P(1, 3, 6, 6, 4, 3, 3, PH: 1, PW: 1),                                    // one image of a small plane: not folded
        new P(3, 2, 27, 27, 4, 3, 3, PH: 1, PW: 1),                                  // K 2187: two slices, the last shorter
        new P(1, 3, 20, 20, 70, 5, 5, PH: 2, PW: 2),                                 // 70 channels: two row blocks of 64
        new P(2, 2, 10, 10, 3, 2, 2, SH: 3, SW: 3),                                  // stride 3 > kernel: inputs no output reads
        new P(2, 8, 6, 6, 67, 3, 3, PH: 1, PW: 1),                                   // deep K (603), small dx: the input gradient in two slices
        new P(2, 8, 2, 2, 8, 3, 3, PH: 3, PW: 3, DH: 3, DW: 3),                      // atrous rate 3 on a 2x2 map: most taps fall outside
        new P(2, 4, 4, 4, 8, 3, 3, PH: 2, PW: 2, DH: 2, DW: 2),                      // atrous rate 2
        new P(2, 3, 32, 32, 2, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1),                    // a strided stem
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheDefinitionsWithBothBlockSizes(P p)
    {
        if (!SupportsBlockTiles())
        {
            AssertRefused(p);
            return;
        }
        float[] x = Reference.Random(p.N * p.Cin * p.H * p.W, Reference.SeedOf(p));
        float[] w = Reference.Random(p.Cout * (p.Cin / p.Groups) * p.KH * p.KW, Reference.SeedOf(p) + 1);
        float[] b = Reference.Random(p.Cout, Reference.SeedOf(p) + 2);
        float[] dy = Reference.Random(p.N * p.Cout * p.OutH * p.OutW, Reference.SeedOf(p) + 3);
        var spec = Spec(p);
        var g = spec.Geometry;
        int dxSlices = ImplicitConvolution.InputGradientSlices(g.InChannelsPerGroup, g.H * g.W, g.N, g.OutChannelsPerGroup * g.KH * g.KW, (long)g.InChannels * g.H * g.W);
        var results = new List<float[][]>();
        foreach (bool large in new[] { true, false })
        {
            using var scope = DisposeScope.Enter();
            using var tiles = ExecutionPaths.Override(largeTiles: large);
            using var path = ExecutionPaths.Override(implicitGemm: true);
            var xs = Tensor.FromArray(_device, x, p.N, p.Cin, p.H, p.W);
            var ws = Tensor.FromArray(_device, w, spec.WeightShape.ToArray());
            var bs = Tensor.FromArray(_device, b, p.Cout);
            var dys = Tensor.FromArray(_device, dy, spec.OutputShape.ToArray());
            var y = Tensor.Full(_device, float.NaN, spec.OutputShape);
            var relu = Tensor.Full(_device, float.NaN, spec.OutputShape);
            Conv2dOp.ForwardRelu(spec, xs, ws, bs, y, relu);
            var plain = Tensor.Full(_device, float.NaN, spec.OutputShape);
            Conv2dOp.Forward(spec, xs, ws, null, plain);
            var dx = Tensor.Full(_device, float.NaN, xs.Shape); // overwritten, NaN and all
            var dw = Tensor.Full(_device, float.NaN, ws.Shape);
            var db = Tensor.Full(_device, float.NaN, p.Cout);
            Conv2dOp.Backward(spec, dys, xs, ws, dx, dw, db);
            var dxSum = Tensor.Full(_device, 1f, xs.Shape); // accumulated onto ones
            var dwSum = Tensor.Full(_device, 1f, ws.Shape);
            var dbSum = Tensor.Full(_device, 1f, p.Cout);
            Conv2dOp.Backward(spec, dys, xs, ws, dxSum, dwSum, dbSum, accumulate: true);
            var dwAlone = Tensor.Full(_device, float.NaN, ws.Shape); // without the bias column
            Conv2dOp.Backward(spec, dys, xs, ws, null, dwAlone, null);
            results.Add([y.ToArray(), relu.ToArray(), plain.ToArray(), dx.ToArray(), dw.ToArray(), db.ToArray(),
                dxSum.ToArray(), dwSum.ToArray(), dbSum.ToArray(), dwAlone.ToArray()]);
        }

        var r = results[0];
        string tag = $"{p} (input gradient in {dxSlices} slices)";
        var (yRef, yScale) = Forward64(p, x, w, b);
        Reference.AssertWithinDotBound(r[0], yRef, yScale, p.Cin / p.Groups * p.KH * p.KW + 1, $"y {tag}");
        Reference.AssertExactly(r[0].Select(v => v < 0f ? 0f : v).ToArray(), r[1], $"relu(y) {tag}");
        var (plainRef, plainScale) = Forward64(p, x, w, null);
        Reference.AssertWithinDotBound(r[2], plainRef, plainScale, p.Cin / p.Groups * p.KH * p.KW, $"y without bias {tag}");

        var (dxRef, dxScale) = RefConv.InputGradient(p, w, dy);
        int dxTerms = p.Cout / p.Groups * p.KH * p.KW;
        Reference.AssertWithinDotBound(r[3], dxRef, dxScale, dxTerms, $"dx {tag}");
        Reference.AssertWithinDotBound(r[6], dxRef.Select(v => v + 1).ToArray(), dxScale.Select(s => s + 1).ToArray(), dxTerms + 1, $"dx accumulated {tag}");

        var (dwRef, dwScale, dbRef, dbScale) = RefConv.WeightGradient(p, x, dy);
        int terms = p.N * p.OutH * p.OutW;
        Reference.AssertWithinDotBound(r[4], dwRef, dwScale, terms, $"dw {tag}");
        Reference.AssertWithinDotBound(r[5], dbRef, dbScale, terms, $"db {tag}");
        Reference.AssertWithinDotBound(r[7], dwRef.Select(v => v + 1).ToArray(), dwScale.Select(s => s + 1).ToArray(), terms + 1, $"dw accumulated {tag}");
        Reference.AssertWithinDotBound(r[8], dbRef.Select(v => v + 1).ToArray(), dbScale.Select(s => s + 1).ToArray(), terms + 1, $"db accumulated {tag}");
        Reference.AssertExactly(r[4], r[9], $"dw with and without the bias column {tag}");

        for (int i = 0; i < r.Length; i++)
            DeviceRounding.AssertExactlyAcrossKernels(_device, r[i], results[1][i], $"128x128 against 64x64 blocks, result {i} {tag}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void BackwardThroughAReluGivesTheBitsOfTheReluBackwardFirst(int stride)
    {
        if (!SupportsBlockTiles())
        {
            AssertRefused(Cases().First().Data);
            return;
        }
        // dy is the gradient of relu(pre): read through the mask on the fly (stride 1), or written
        // out first (stride 2, whose input gradient runs as GEMM + col2im); either way the bits of
        // ReLU's backward followed by the convolution's. Pre has exact zeros and NaN-free negatives.
        var p = new P(2, 5, 9, 9, 7, 3, 3, SH: stride, SW: stride, PH: 1, PW: 1);
        var spec = Spec(p);
        using var scope = DisposeScope.Enter();
        using var path = ExecutionPaths.Override(implicitGemm: true);
        var x = Tensor.FromArray(_device, Reference.Random(p.N * p.Cin * p.H * p.W, 21), p.N, p.Cin, p.H, p.W);
        var w = Tensor.FromArray(_device, Reference.Random(p.Cout * p.Cin * 9, 22), spec.WeightShape.ToArray());
        float[] preValues = Reference.Random((int)spec.OutputShape.Numel, 23).Select((v, i) => i % 7 == 0 ? 0f : v).ToArray();
        var pre = Tensor.FromArray(_device, preValues, spec.OutputShape.ToArray());
        var dAct = Tensor.FromArray(_device, Reference.Random((int)spec.OutputShape.Numel, 24), spec.OutputShape.ToArray());
        var dPre = Tensor.Empty(_device, spec.OutputShape);
        Engine.Ops.Activation.ActivationOp.Backward(Engine.Ops.Activation.ActivationKind.Relu, pre, dAct, dPre);
        var results = new List<float[]>();
        foreach (bool fused in new[] { true, false })
        {
            var dx = Tensor.Full(_device, 1f, x.Shape);
            var dw = Tensor.Full(_device, 1f, w.Shape);
            var db = Tensor.Full(_device, 1f, p.Cout);
            Conv2dOp.Backward(spec, fused ? dAct : dPre, x, w, dx, dw, db, accumulateInput: true, accumulateParameters: true, fused ? pre : null);
            results.Add([.. dx.ToArray(), .. dw.ToArray(), .. db.ToArray()]);
        }
        Reference.AssertExactly(results[1], results[0], $"through the ReLU on the fly, stride {stride}");
        Assert.Contains(results[0], v => v != 1f);
    }

    [Fact]
    public void AReluPreActivationOfAnotherShapeIsRefusedByName()
    {
        // Checked before any path is chosen, so on every device.
        var p = new P(2, 3, 6, 6, 4, 3, 3, PH: 1, PW: 1);
        var spec = Spec(p);
        using var scope = DisposeScope.Enter();
        var x = Tensor.Zeros(_device, p.N, p.Cin, p.H, p.W);
        var w = Tensor.Zeros(_device, spec.WeightShape);
        var dy = Tensor.Zeros(_device, spec.OutputShape);
        var wrong = Tensor.Zeros(_device, p.N, p.Cout, p.H, p.W + 1);
        var error = Assert.Throws<ArgumentException>(() =>
            Conv2dOp.Backward(spec, dy, x, w, Tensor.Zeros(_device, x.Shape), null, null, false, true, wrong));
        Assert.Equal("Conv2d backward: ReLU pre-activation has shape [2, 4, 6, 7] but output gradient has shape [2, 4, 6, 6]; they must match.", error.Message);
    }

    [Fact]
    public void SmallPlanesFoldIntoOneProductAndPointwiseReadsTheImage()
    {
        if (!SupportsBlockTiles())
        {
            AssertRefused(Cases().First().Data);
            return;
        }
        // Each shape's forward pass takes its kernel, and gives the bits of im2col + GEMM + bias + ReLU
        // (the same values summed in the same order).
        var shapes = new (P P, string Kernel)[]
        {
            (new P(3, 6, 7, 7, 9, 3, 3, PH: 1, PW: 1), "ImplicitConv.ForwardFolded"), // 49 pixels a plane, three images
            (new P(2, 6, 16, 16, 9, 1, 1), "ImplicitConv.Pointwise"),                // 1x1, 256 pixels
            (new P(2, 6, 16, 16, 9, 3, 3, PH: 1, PW: 1), "ImplicitConv.Forward"),    // neither: 256 pixels fill two tiles
        };
        foreach (var (p, kernel) in shapes)
        {
            var spec = Spec(p);
            using var scope = DisposeScope.Enter();
            var x = Tensor.FromArray(_device, Reference.Random(p.N * p.Cin * p.H * p.W, 21), p.N, p.Cin, p.H, p.W);
            var w = Tensor.FromArray(_device, Reference.Random(p.Cout * p.Cin * p.KH * p.KW, 22), spec.WeightShape.ToArray());
            var b = Tensor.FromArray(_device, Reference.Random(p.Cout, 23), p.Cout);
            var outputs = new List<float[]>();
            List<string> kernels = [];
            foreach (bool implicitGemm in new[] { true, false })
            {
                using var path = ExecutionPaths.Override(implicitGemm: implicitGemm);
                var y = Tensor.Empty(_device, spec.OutputShape);
                var relu = Tensor.Empty(_device, spec.OutputShape);
                var profile = _device.StartProfile();
                try
                {
                    Conv2dOp.ForwardRelu(spec, x, w, b, y, relu);
                }
                finally
                {
                    _device.StopProfile();
                }
                if (implicitGemm)
                    kernels = profile.Launches.Select(l => l.Kernel).ToList();
                outputs.Add([.. y.ToArray(), .. relu.ToArray()]);
            }
            Assert.Equal(kernel, Assert.Single(kernels).TrimEnd("0123456789".ToCharArray())); // the block size (64 or 128) set aside
            if (Blas.Resolve(_device, GemmAlgorithm.Auto) == GemmAlgorithm.SharedMemoryTiled)
                Reference.AssertExactly(outputs[1], outputs[0], $"{kernels[0]} against im2col + GEMM {p}");
            else
            {
                var (yRef, yScale) = Forward64(p, x.ToArray(), w.ToArray(), b.ToArray());
                Reference.AssertWithinDotBound(outputs[0][..yRef.Length], yRef, yScale, p.Cin * p.KH * p.KW + 1, $"{kernels[0]} {p}");
            }
        }
        // ResNet-50's planes at 224: 7x7, 14x14 and 28x28 fold, 56x56 (3,136 of 3,200 columns) does not; one image never does.
        Assert.True(ImplicitConvolution.Folds(49, 2) && ImplicitConvolution.Folds(196, 2) && ImplicitConvolution.Folds(784, 64));
        Assert.False(ImplicitConvolution.Folds(3136, 64) || ImplicitConvolution.Folds(1024, 2) || ImplicitConvolution.Folds(49, 1));
    }

    [Fact]
    public void AnImageOf2To31ValuesIsRefusedWithItsSizes()
    {
        // 1 x 46341 x 46341 = 2,147,488,281 values: one past what 32-bit offsets reach (no tensor is made).
        var huge = new ConvGeometry(1, 1, 46341, 46341, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 46341, 46341);
        var error = Assert.Throws<ArgumentException>(() => ImplicitConvolution.CheckOffsets(huge));
        Assert.Contains("1 x 46341 x 46341 = 2147488281 values", error.Message, StringComparison.Ordinal);
        ImplicitConvolution.CheckOffsets(new ConvGeometry(1, 1, 46340, 46340, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 46340, 46340)); // 2,147,395,600: fits
    }

    [Fact]
    public void TheCasesSliceTheInputGradientAndNot()
    {
        var slices = Cases().Select(c => Spec(c.Data).Geometry)
            .Select(g => ImplicitConvolution.InputGradientSlices(g.InChannelsPerGroup, g.H * g.W, g.N, g.OutChannelsPerGroup * g.KH * g.KW, (long)g.InChannels * g.H * g.W))
            .ToList();
        Assert.Contains(1, slices);
        Assert.Contains(slices, s => s == 2);
        Assert.Contains(slices, s => s > 2);
        // A layer that fills a GPU is one product; U-Net's deepest input gradient (1024 channels, 32x32) is cut.
        Assert.Equal(1, ImplicitConvolution.InputGradientSlices(64, 570 * 570, 1, 64 * 9, 64L * 572 * 572));
        Assert.True(ImplicitConvolution.InputGradientSlices(512, 32 * 32, 1, 1024 * 9, 512L * 32 * 32) > 1);
    }

    [Fact]
    public void ForwardGivesTheBitsOfIm2ColGemmAndBias()
    {
        if (!SupportsBlockTiles())
        {
            AssertRefused(Cases().First().Data);
            return;
        }
        // The explicit path on the same GEMM kernel: the columns are the same values, summed in the same order.
        var p = new P(2, 6, 14, 15, 9, 3, 3, PH: 1, PW: 1, SH: 2, SW: 1);
        var spec = Spec(p);
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, Reference.Random(p.N * p.Cin * p.H * p.W, 11), p.N, p.Cin, p.H, p.W);
        var w = Tensor.FromArray(_device, Reference.Random(p.Cout * p.Cin * 9, 12), spec.WeightShape.ToArray());
        var b = Tensor.FromArray(_device, Reference.Random(p.Cout, 13), p.Cout);
        var outputs = new List<float[]>();
        foreach (bool implicitGemm in new[] { true, false })
        {
            using var path = ExecutionPaths.Override(implicitGemm: implicitGemm);
            var y = Tensor.Empty(_device, spec.OutputShape);
            var relu = Tensor.Empty(_device, spec.OutputShape);
            Conv2dOp.ForwardRelu(spec, x, w, b, y, relu);
            outputs.Add([.. y.ToArray(), .. relu.ToArray()]);
        }
        if (Blas.Resolve(_device, GemmAlgorithm.Auto) == GemmAlgorithm.SharedMemoryTiled)
            DeviceRounding.AssertExactlyAcrossKernels(_device, outputs[1], outputs[0], $"implicit against explicit {p}");
        else
            Assert.Equal(outputs[1].Length, outputs[0].Length); // the explicit path runs another GEMM kernel here: the values are checked above
    }

    [Fact]
    public void TransposedConvolutionRunsOnTheImplicitPath()
    {
        if (!SupportsBlockTiles())
        {
            AssertRefused(Cases().First().Data);
            return;
        }
        // U-Net's up-convolution shape (2x2, stride 2) and an overlapping one (3x3, stride 2, padding 1, output padding 1).
        foreach (var p in new[] { new P(2, 6, 5, 4, 3, 2, 2, SH: 2, SW: 2), new P(1, 4, 6, 5, 6, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1, OPH: 1, OPW: 1, Groups: 2) })
        {
            var spec = ConvTranspose2dSpec.Create(new Shape(p.N, p.Cin, p.H, p.W), new Shape(p.Cin, p.Cout / p.Groups, p.KH, p.KW),
                (p.SH, p.SW), (p.PH, p.PW), (p.OPH, p.OPW), (p.DH, p.DW), p.Groups);
            float[] x = Reference.Random(p.N * p.Cin * p.H * p.W, Reference.SeedOf(p));
            float[] w = Reference.Random(p.Cin * (p.Cout / p.Groups) * p.KH * p.KW, Reference.SeedOf(p) + 1);
            float[] b = Reference.Random(p.Cout, Reference.SeedOf(p) + 2);
            using var scope = DisposeScope.Enter();
            using var path = ExecutionPaths.Override(implicitGemm: true);
            var y = Tensor.Full(_device, float.NaN, spec.OutputShape);
            ConvTranspose2dOp.Forward(spec, Tensor.FromArray(_device, x, spec.InputShape.ToArray()), Tensor.FromArray(_device, w, spec.WeightShape.ToArray()),
                Tensor.FromArray(_device, b, p.Cout), y);
            double[] expected = RefConv.ConvTranspose2d(p, [.. x.Select(v => (double)v)], [.. w.Select(v => (double)v)], [.. b.Select(v => (double)v)]);
            double[] scale = RefConv.ConvTranspose2d(p, [.. x.Select(v => (double)Math.Abs(v))], [.. w.Select(v => (double)Math.Abs(v))], [.. b.Select(v => (double)Math.Abs(v))]);
            Reference.AssertWithinDotBound(y.ToArray(), expected, scale, p.Cin / p.Groups * p.KH * p.KW + 1, $"conv_transpose2d {p}");
        }
    }

    private bool SupportsBlockTiles() => _device.Info.MaxGroupSize >= 256;

    private void AssertRefused(P p)
    {
        using var scope = DisposeScope.Enter();
        using var path = ExecutionPaths.Override(implicitGemm: true);
        var spec = Spec(p);
        var x = Tensor.Zeros(_device, p.N, p.Cin, p.H, p.W);
        var w = Tensor.Zeros(_device, spec.WeightShape);
        var error = Assert.Throws<ArgumentException>(() => Conv2dOp.Forward(spec, x, w, null, Tensor.Empty(_device, spec.OutputShape)));
        Assert.Contains($"allows {_device.Info.MaxGroupSize}", error.Message);
    }

    private static Conv2dSpec Spec(P p) =>
        Conv2dSpec.Create(new Shape(p.N, p.Cin, p.H, p.W), new Shape(p.Cout, p.Cin / p.Groups, p.KH, p.KW), (p.SH, p.SW), (p.PH, p.PW), (p.DH, p.DW), p.Groups);

    private static (double[] Value, double[] Scale) Forward64(P p, float[] x, float[] w, float[]? b)
    {
        double[] Abs(float[] v) => [.. v.Select(e => (double)Math.Abs(e))];
        return (RefConv.Conv2d(p, [.. x.Select(v => (double)v)], [.. w.Select(v => (double)v)], b?.Select(v => (double)v).ToArray()),
                RefConv.Conv2d(p, Abs(x), Abs(w), b is null ? null : Abs(b)));
    }
}
