using Engine.Tensors;
using Engine.Tests.Infrastructure;
using P = Engine.Tests.Infrastructure.RefConv.Params;

namespace Engine.Tests.Functional;

[Collection(DeviceCollection.Name)]
public sealed class ConvolutionTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    public static TheoryData<P, bool> Conv2dCases() => new()
    {
        { new P(2, 3, 7, 6, 4, 3, 3, PH: 1, PW: 1), true },
        { new P(2, 2, 9, 8, 3, 3, 3, SH: 2, SW: 2), true },
        { new P(1, 2, 8, 7, 2, 2, 2, SH: 3, SW: 3, PH: 1, PW: 1), false },         // stride larger than the kernel
        { new P(1, 2, 9, 10, 3, 3, 3, PH: 2, PW: 2, DH: 2, DW: 2), true },          // dilation 2
        { new P(2, 4, 6, 5, 6, 3, 3, PH: 1, PW: 1, Groups: 2), true },              // groups 2
        { new P(1, 3, 7, 7, 3, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1, Groups: 3), true }, // depthwise
        { new P(2, 2, 9, 7, 3, 3, 1, SH: 2, SW: 1, PH: 1, PW: 0, DH: 1, DW: 2), true }, // per-axis
        { new P(2, 5, 4, 3, 3, 1, 1), false },                                      // 1x1, no im2col
        { new P(2, 4, 5, 6, 4, 1, 1, Groups: 2), true },                            // 1x1 grouped
        { new P(1, 3, 7, 5, 2, 1, 1, SH: 2, SW: 2), true },                          // 1x1 strided
    };

    public static TheoryData<P, bool> ConvTransposeCases() => new()
    {
        { new P(2, 3, 3, 4, 2, 2, 2, SH: 2, SW: 2), true },                         // U-Net's up-convolution
        { new P(1, 2, 4, 3, 3, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1, OPH: 1, OPW: 1), true },
        { new P(1, 4, 3, 4, 6, 3, 3, PH: 1, PW: 1, DH: 2, DW: 2, Groups: 2), false }, // dilation 2, groups 2
        { new P(2, 2, 3, 3, 2, 3, 2, SH: 2, SW: 3, PH: 1, PW: 0, OPH: 1, OPW: 2), true }, // per-axis
        { new P(1, 2, 4, 4, 3, 3, 3, DH: 2, DW: 2, OPH: 1, OPW: 1), true },         // output_padding >= stride (dilation 2)
        { new P(1, 2, 5, 5, 2, 3, 3, SH: 2, SW: 2, PH: 3, PW: 3), true },           // padding beyond d (k - 1): crops
    };

    [Theory]
    [MemberData(nameof(Conv2dCases))]
    public void Conv2dForwardMatchesDirectLoops(P p, bool bias)
    {
        var (x, w, b) = Inputs(p, p.Cout, p.Cin / p.Groups, bias, seed: Reference.SeedOf(p));
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.Conv2d(Tensor.FromArray(_device, x, p.N, p.Cin, p.H, p.W), Tensor.FromArray(_device, w, p.Cout, p.Cin / p.Groups, p.KH, p.KW),
            b is null ? null : Tensor.FromArray(_device, b, p.Cout), (p.SH, p.SW), (p.PH, p.PW), (p.DH, p.DW), p.Groups);
        Assert.Equal(new Shape(p.N, p.Cout, p.OutH, p.OutW), y.Shape);
        var wide = GradCheck.Widen(x, w, b ?? []);
        var expected = RefConv.Conv2d(p, wide[0], wide[1], bias ? wide[2] : null);
        var scale = RefConv.Conv2d(p, GradCheck.Abs(wide[0]), GradCheck.Abs(wide[1]), bias ? GradCheck.Abs(wide[2]) : null);
        Reference.AssertWithinDotBound(y.ToArray(), expected, scale, p.Cin * p.KH * p.KW + 2, $"Conv2d forward {p}");
    }

    [Theory]
    [MemberData(nameof(Conv2dCases))]
    public void Conv2dBackwardMatchesCentralDifferences(P p, bool bias)
    {
        var (x, w, b) = Inputs(p, p.Cout, p.Cin / p.Groups, bias, seed: Reference.SeedOf(p) + 1);
        float[] dy = Reference.Random(p.N * p.Cout * p.OutH * p.OutW, Reference.SeedOf(p) + 2);
        using var scope = DisposeScope.Enter();
        var grads = Engine.Functional.Conv2dBackward(Tensor.FromArray(_device, dy, p.N, p.Cout, p.OutH, p.OutW),
            Tensor.FromArray(_device, x, p.N, p.Cin, p.H, p.W), Tensor.FromArray(_device, w, p.Cout, p.Cin / p.Groups, p.KH, p.KW),
            bias, (p.SH, p.SW), (p.PH, p.PW), (p.DH, p.DW), p.Groups);
        Func<double[][], double[]> f = a => RefConv.Conv2d(p, a[0], a[1], bias ? a[2] : null);
        CheckGradients(f, GradCheck.Widen(x, w, b ?? []), GradCheck.Widen(dy)[0], grads, bias, p, $"Conv2d backward {p}");
    }

    [Theory]
    [MemberData(nameof(ConvTransposeCases))]
    public void ConvTranspose2dForwardMatchesTheScatterDefinition(P p, bool bias)
    {
        var (x, w, b) = Inputs(p, p.Cin, p.Cout / p.Groups, bias, seed: Reference.SeedOf(p) + 3);
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.ConvTranspose2d(Tensor.FromArray(_device, x, p.N, p.Cin, p.H, p.W),
            Tensor.FromArray(_device, w, p.Cin, p.Cout / p.Groups, p.KH, p.KW), b is null ? null : Tensor.FromArray(_device, b, p.Cout),
            (p.SH, p.SW), (p.PH, p.PW), (p.OPH, p.OPW), p.Groups, (p.DH, p.DW));
        Assert.Equal(new Shape(p.N, p.Cout, p.TOutH, p.TOutW), y.Shape);
        var wide = GradCheck.Widen(x, w, b ?? []);
        var expected = RefConv.ConvTranspose2d(p, wide[0], wide[1], bias ? wide[2] : null);
        var scale = RefConv.ConvTranspose2d(p, GradCheck.Abs(wide[0]), GradCheck.Abs(wide[1]), bias ? GradCheck.Abs(wide[2]) : null);
        Reference.AssertWithinDotBound(y.ToArray(), expected, scale, p.Cin * p.KH * p.KW + 2, $"ConvTranspose2d forward {p}");
    }

    [Theory]
    [MemberData(nameof(ConvTransposeCases))]
    public void ConvTranspose2dBackwardMatchesCentralDifferences(P p, bool bias)
    {
        var (x, w, b) = Inputs(p, p.Cin, p.Cout / p.Groups, bias, seed: Reference.SeedOf(p) + 4);
        float[] dy = Reference.Random(p.N * p.Cout * p.TOutH * p.TOutW, Reference.SeedOf(p) + 5);
        using var scope = DisposeScope.Enter();
        var grads = Engine.Functional.ConvTranspose2dBackward(Tensor.FromArray(_device, dy, p.N, p.Cout, p.TOutH, p.TOutW),
            Tensor.FromArray(_device, x, p.N, p.Cin, p.H, p.W), Tensor.FromArray(_device, w, p.Cin, p.Cout / p.Groups, p.KH, p.KW),
            bias, (p.SH, p.SW), (p.PH, p.PW), (p.OPH, p.OPW), p.Groups, (p.DH, p.DW));
        Func<double[][], double[]> f = a => RefConv.ConvTranspose2d(p, a[0], a[1], bias ? a[2] : null);
        CheckGradients(f, GradCheck.Widen(x, w, b ?? []), GradCheck.Widen(dy)[0], grads, bias, p, $"ConvTranspose2d backward {p}");
    }

    [Theory]
    [MemberData(nameof(Conv2dCases))]
    public void TransposedConvolutionIsTheInputGradientOfConvolution(P p, bool bias)
    {
        _ = bias;
        // conv2d: [N, Cin, H, W] -> [N, Cout, OutH, OutW]. The transposed convolution of dy with the
        // same weight, with output_padding making its size H x W, must equal conv2d's dL/dx.
        int oph = (p.H + 2 * p.PH - p.DH * (p.KH - 1) - 1) % p.SH, opw = (p.W + 2 * p.PW - p.DW * (p.KW - 1) - 1) % p.SW;
        if (oph >= Math.Max(p.SH, p.DH) || opw >= Math.Max(p.SW, p.DW))
            Assert.Fail("test case needs an output_padding PyTorch allows");
        float[] w = Reference.Random(p.Cout * (p.Cin / p.Groups) * p.KH * p.KW, 7);
        float[] dy = Reference.Random(p.N * p.Cout * p.OutH * p.OutW, 8);
        using var scope = DisposeScope.Enter();
        var weight = Tensor.FromArray(_device, w, p.Cout, p.Cin / p.Groups, p.KH, p.KW);
        var gradOutput = Tensor.FromArray(_device, dy, p.N, p.Cout, p.OutH, p.OutW);
        var viaBackward = Engine.Functional.Conv2dBackward(gradOutput, Tensor.Zeros(_device, p.N, p.Cin, p.H, p.W), weight, false,
            (p.SH, p.SW), (p.PH, p.PW), (p.DH, p.DW), p.Groups).Input!;
        var viaTranspose = Engine.Functional.ConvTranspose2d(gradOutput, weight, null, (p.SH, p.SW), (p.PH, p.PW), (oph, opw), p.Groups, (p.DH, p.DW));
        Assert.Equal(viaBackward.Shape, viaTranspose.Shape);
        GradCheck.AssertClose(viaTranspose.ToArray(), viaBackward.ToArray().Select(v => (double)v).ToArray(), 1e-5, 1, $"ConvTranspose2d identity {p}");

        // And the transposed convolution's input gradient is conv2d with the same weight.
        var x = Tensor.FromArray(_device, Reference.Random(p.N * p.Cin * p.H * p.W, 9), p.N, p.Cin, p.H, p.W);
        var convOfX = Engine.Functional.Conv2d(x, weight, null, (p.SH, p.SW), (p.PH, p.PW), (p.DH, p.DW), p.Groups);
        var transposeGrad = Engine.Functional.ConvTranspose2dBackward(x, gradOutput, weight, false, (p.SH, p.SW), (p.PH, p.PW), (oph, opw), p.Groups, (p.DH, p.DW)).Input!;
        GradCheck.AssertClose(transposeGrad.ToArray(), convOfX.ToArray().Select(v => (double)v).ToArray(), 1e-5, 1, $"ConvTranspose2d identity {p}");
    }

    [Fact]
    public void BackwardGivesTheSameBitsEveryTime()
    {
        var p = new P(2, 4, 9, 9, 6, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1, Groups: 2);
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, Reference.Random(p.N * p.Cin * p.H * p.W, 1), p.N, p.Cin, p.H, p.W);
        var w = Tensor.FromArray(_device, Reference.Random(p.Cout * 2 * 9, 2), p.Cout, 2, 3, 3);
        var dy = Tensor.FromArray(_device, Reference.Random(p.N * p.Cout * p.OutH * p.OutW, 3), p.N, p.Cout, p.OutH, p.OutW);
        var first = Engine.Functional.Conv2dBackward(dy, x, w, true, 2, 1, 1, 2);
        var second = Engine.Functional.Conv2dBackward(dy, x, w, true, 2, 1, 1, 2);
        Reference.AssertExactly(first.Input!.ToArray(), second.Input!.ToArray(), "Conv2d dx");
        Reference.AssertExactly(first.Weight.ToArray(), second.Weight.ToArray(), "Conv2d dw");
        Reference.AssertExactly(first.Bias!.ToArray(), second.Bias!.ToArray(), "Conv2d db");
        var (_, indices) = Engine.Functional.MaxPool2d(x, 3, 2, 1);
        var pooled = Engine.Functional.MaxPool2dBackward(Tensor.Full(_device, 1f, indices.Shape), indices, x.Shape, 3, 2, 1);
        var again = Engine.Functional.MaxPool2dBackward(Tensor.Full(_device, 1f, indices.Shape), indices, x.Shape, 3, 2, 1);
        Reference.AssertExactly(pooled.ToArray(), again.ToArray(), "MaxPool2d dx");
    }

    [Fact]
    public void BackwardAccumulatesWhenAsked()
    {
        var spec = Engine.Ops.Convolution.Conv2dSpec.Create(new Shape(1, 2, 5, 5), new Shape(3, 2, 3, 3), 1, 1, 1, 1);
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, Reference.Random(50, 1), 1, 2, 5, 5);
        var w = Tensor.FromArray(_device, Reference.Random(54, 2), 3, 2, 3, 3);
        var dy = Tensor.FromArray(_device, Reference.Random(75, 3), 1, 3, 5, 5);
        var dx = Tensor.Full(_device, 1f, 1, 2, 5, 5);
        var dw = Tensor.Full(_device, 1f, 3, 2, 3, 3);
        var db = Tensor.Full(_device, 1f, 3);
        Engine.Ops.Convolution.Conv2dOp.Backward(spec, dy, x, w, dx, dw, db, accumulate: true);
        var fresh = Engine.Functional.Conv2dBackward(dy, x, w, true, 1, 1);
        AssertPlusOne(fresh.Input!, dx);
        AssertPlusOne(fresh.Weight, dw);
        AssertPlusOne(fresh.Bias!, db);
    }

    [Theory]
    [InlineData(new[] { 1, 3, 5, 5 }, new[] { 2, 3, 7, 7 }, 1, 0, 1, 1, "dilated kernel height 7 (kernel 7, dilation 1) is larger than the padded input height 5")]
    [InlineData(new[] { 1, 3, 5, 5 }, new[] { 2, 2, 3, 3 }, 1, 0, 1, 1, "weight [2, 2, 3, 3] expects 2 input channels with groups 1, but input [1, 3, 5, 5] has 3")]
    [InlineData(new[] { 1, 3, 5, 5 }, new[] { 2, 1, 3, 3 }, 1, 0, 1, 2, "input channels 3 are not divisible by groups 2")]
    [InlineData(new[] { 1, 4, 5, 5 }, new[] { 3, 2, 3, 3 }, 1, 0, 1, 2, "output channels 3 are not divisible by groups 2")]
    [InlineData(new[] { 1, 3, 5, 5 }, new[] { 2, 3, 3, 3 }, 0, 0, 1, 1, "stride must be positive, got (0, 0)")]
    [InlineData(new[] { 1, 3, 5, 5 }, new[] { 2, 3, 3, 3 }, 1, -1, 1, 1, "padding must be non-negative, got (-1, -1)")]
    [InlineData(new[] { 1, 3, 5, 5 }, new[] { 2, 3, 3, 3 }, 1, 0, 0, 1, "dilation must be positive")]
    [InlineData(new[] { 3, 5, 5 }, new[] { 2, 3, 3, 3 }, 1, 0, 1, 1, "input must be [N, C, H, W], got [3, 5, 5]")]
    public void InvalidConvolutionsAreRejectedBeforeLaunch(int[] input, int[] weight, int stride, int padding, int dilation, int groups, string message)
    {
        using var x = Tensor.Zeros(_device, input);
        using var w = Tensor.Zeros(_device, weight);
        long live = _device.LiveBufferCount;
        var error = Assert.Throws<ArgumentException>(() => Engine.Functional.Conv2d(x, w, null, stride, padding, dilation, groups));
        Assert.Contains(message, error.Message);
        Assert.Equal(live, _device.LiveBufferCount);
    }

    [Fact]
    public void MismatchedBiasIsRejected()
    {
        using var scope = DisposeScope.Enter();
        var error = Assert.Throws<ArgumentException>(() => Engine.Functional.Conv2d(Tensor.Zeros(_device, 1, 3, 5, 5), Tensor.Zeros(_device, 2, 3, 3, 3), Tensor.Zeros(_device, 3)));
        Assert.Contains("bias must be [2] for weight [2, 3, 3, 3], got [3]", error.Message);
    }

    [Theory]
    [InlineData(2, 1, 2, 1, "output_padding (2, 2) must be smaller than max(stride, dilation) per axis (stride (2, 2), dilation (1, 1))")]
    [InlineData(1, 2, 2, 1, "output_padding (2, 2) must be smaller than max(stride, dilation) per axis (stride (1, 1), dilation (2, 2))")]
    [InlineData(2, 1, 0, 3, "input channels 4 are not divisible by groups 3")]
    public void InvalidTransposedConvolutionsAreRejected(int stride, int dilation, int outputPadding, int groups, string message)
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.Zeros(_device, 1, 4, 3, 3);
        var w = Tensor.Zeros(_device, 4, 2, 3, 3);
        var error = Assert.Throws<ArgumentException>(() => Engine.Functional.ConvTranspose2d(x, w, null, stride, 0, outputPadding, groups, dilation));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void TwoByTwoStrideTwoUpConvolutionDoublesTheSize()
    {
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.ConvTranspose2d(Tensor.Zeros(_device, 1, 8, 28, 28), Tensor.Zeros(_device, 8, 4, 2, 2), null, 2);
        Assert.Equal(new Shape(1, 4, 56, 56), y.Shape);
    }

    [Theory]
    [InlineData(572, 3, 1, 0, 1, 570)]
    [InlineData(224, 7, 2, 3, 1, 112)]
    [InlineData(56, 3, 1, 1, 1, 56)]
    [InlineData(56, 3, 2, 1, 1, 28)]
    [InlineData(9, 3, 1, 2, 2, 9)]
    [InlineData(10, 3, 3, 0, 1, 3)]
    [InlineData(5, 5, 1, 0, 1, 1)]
    public void OutputSizeFollowsTheFormula(int size, int kernel, int stride, int padding, int dilation, int expected)
    {
        var spec = Engine.Ops.Convolution.Conv2dSpec.Create(new Shape(1, 1, size, size), new Shape(1, 1, kernel, kernel), stride, padding, dilation, 1);
        Assert.Equal(expected, spec.Geometry.OutH);
        Assert.Equal((size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1, spec.Geometry.OutW);
    }

    private static void AssertPlusOne(Tensor fresh, Tensor accumulated)
    {
        float[] a = fresh.ToArray(), b = accumulated.ToArray();
        for (int i = 0; i < a.Length; i++)
            Assert.Equal(a[i] + 1f, b[i], 5);
    }

    private static (float[] X, float[] W, float[]? B) Inputs(P p, int w0, int w1, bool bias, int seed) =>
        (Reference.Random(p.N * p.Cin * p.H * p.W, seed), Reference.Random(w0 * w1 * p.KH * p.KW, seed + 11),
         bias ? Reference.Random(p.Cout, seed + 13) : null);

    private static void CheckGradients(Func<double[][], double[]> f, double[][] inputs, double[] dy, ConvGradients grads, bool bias, P p, string what)
    {
        var absInputs = inputs.Select(GradCheck.Abs).ToArray();
        var absDy = GradCheck.Abs(dy);
        int terms = inputs[0].Length + inputs[1].Length + dy.Length;
        var targets = new List<(int Index, Tensor Grad, string Name)> { (0, grads.Input!, "dx"), (1, grads.Weight, "dw") };
        if (bias)
            targets.Add((2, grads.Bias!, "db"));
        foreach (var (index, grad, name) in targets)
        {
            var numeric = GradCheck.Numeric(f, inputs, dy, index);
            var scale = GradCheck.Numeric(f, absInputs, absDy, index);
            Reference.AssertWithinDotBound(grad.ToArray(), numeric, scale.Select(s => s + 1e-9).ToArray(), terms, $"{what} {name}");
        }
    }
}
