using Engine.Devices;
using Engine.Modules.Layers;
using Engine.Ops;
using Engine.Ops.Activation;
using Engine.Ops.Upsampling;
using Engine.Optim;
using Engine.Tensors;
using Engine.Tests.Infrastructure;
using F = Engine.Functional;

namespace Engine.Tests.Ops;

/// <summary>
/// On ILGPU's CPU accelerator the ops run as host code (<see cref="HostPath"/>): a packed GEMM,
/// batched convolutions, vector loops for batch norm, ReLU, pooling, resampling, layout, the
/// elementwise ops and Adam. These tests run every op that has both forms twice, with the host path
/// on and off (off runs the ILGPU kernels that CUDA and OpenCL run), and hold them to the same
/// results: bit for bit where both do the same arithmetic in the same order (selection, copies,
/// one rounding per element), and to float rounding where a reduction sums in another order. On
/// OpenCL and CUDA both runs use the kernels, so the tests check run-to-run determinism there.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class HostPathTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    /// <summary>Runs <paramref name="body"/> with the host path on, then off.</summary>
    private static (T Host, T Kernels) Both<T>(Func<T> body)
    {
        T host, kernels;
        using (ExecutionPaths.Override(hostPath: true))
            host = body();
        using (ExecutionPaths.Override(hostPath: false))
            kernels = body();
        return (host, kernels);
    }

    private Tensor Random(int seed, params int[] shape) =>
        Tensor.FromArray(_device, Reference.Random(shape.Aggregate(1, (a, b) => a * b), seed), shape);

    /// <summary>CI's kernel stage sets ENGINE_HOST_PATH=0; this proves the stage really ran the kernels.</summary>
    [Fact]
    public void TheEnvironmentSwitchDecidesTheDefault()
    {
        bool off = Environment.GetEnvironmentVariable(ExecutionPaths.HostPathVariable) is "0" or "off" or "false";
        Assert.Equal(!off, ExecutionPaths.HostPathOn);
        using (ExecutionPaths.Override(hostPath: off))
            Assert.Equal(off, ExecutionPaths.HostPathOn);
        Assert.Equal(!off, ExecutionPaths.HostPathOn);
    }

    public static TheoryData<int, int, int, int, int, int, int> Convolutions() => new()
    {
        // (channels in, out, kernel, stride, padding, dilation, groups)
        { 3, 5, 3, 1, 1, 1, 1 },
        { 4, 6, 3, 2, 1, 1, 1 },
        { 2, 3, 3, 1, 2, 2, 1 },
        { 3, 4, 1, 1, 0, 1, 1 },
        { 2, 2, 5, 3, 2, 1, 1 },
        { 4, 6, 3, 1, 1, 1, 2 },
        { 4, 4, 3, 2, 1, 1, 4 },
    };

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void ConvolutionsAgree(int cin, int cout, int k, int stride, int padding, int dilation, int groups)
    {
        using var scope = DisposeScope.Enter();
        var x = Random(1, 2, cin, 9, 11);
        var w = Random(2, cout, cin / groups, k, k);
        var b = Random(3, cout);
        var (host, kernels) = Both(() =>
        {
            var y = F.Conv2d(x, w, b, stride, padding, dilation, groups);
            var dy = Random(4, y.Shape.Dims.ToArray());
            var grads = F.Conv2dBackward(dy, x, w, hasBias: true, stride, padding, dilation, groups);
            return (Y: y.ToArray(), Dx: grads.Input!.ToArray(), Dw: grads.Weight.ToArray(), Db: grads.Bias!.ToArray());
        });
        AssertClose(kernels.Y, host.Y, 1e-5, "conv forward");
        AssertClose(kernels.Dx, host.Dx, 1e-5, "conv input gradient");
        AssertClose(kernels.Dw, host.Dw, 1e-5, "conv weight gradient");
        AssertClose(kernels.Db, host.Db, 1e-5, "conv bias gradient");
    }

    public static TheoryData<int, int, int, int, int, int, int, int> TransposedConvolutions() => new()
    {
        // (channels in, out, kernel, stride, padding, output padding, dilation, groups)
        { 4, 3, 2, 2, 0, 0, 1, 1 },
        { 3, 5, 3, 2, 1, 1, 1, 1 },
        { 2, 4, 3, 3, 1, 2, 1, 1 },
        { 3, 2, 3, 1, 1, 0, 2, 1 },
        { 4, 6, 4, 2, 1, 0, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(TransposedConvolutions))]
    public void TransposedConvolutionsAgree(int cin, int cout, int k, int stride, int padding, int outputPadding, int dilation, int groups)
    {
        using var scope = DisposeScope.Enter();
        var x = Random(5, 2, cin, 7, 6);
        var w = Random(6, cin, cout / groups, k, k);
        var b = Random(7, cout);
        var (host, kernels) = Both(() =>
        {
            var y = F.ConvTranspose2d(x, w, b, stride, padding, outputPadding, groups, dilation);
            var dy = Random(8, y.Shape.Dims.ToArray());
            var grads = F.ConvTranspose2dBackward(dy, x, w, hasBias: true, stride, padding, outputPadding, groups, dilation);
            return (Y: y.ToArray(), Dx: grads.Input!.ToArray(), Dw: grads.Weight.ToArray(), Db: grads.Bias!.ToArray());
        });
        AssertClose(kernels.Y, host.Y, 1e-5, "transposed conv forward");
        AssertClose(kernels.Dx, host.Dx, 1e-5, "transposed conv input gradient");
        AssertClose(kernels.Dw, host.Dw, 1e-5, "transposed conv weight gradient");
        AssertClose(kernels.Db, host.Db, 1e-5, "transposed conv bias gradient");
    }

    /// <summary>
    /// The host GEMM's long-K paths (K split into slices, and dot products for A·Bᵀ), which only
    /// shapes like a weight gradient over a whole batch reach, against float64 with both paths.
    /// </summary>
    [Theory]
    [InlineData(20, 70, 4500, false, true)]
    [InlineData(20, 70, 4500, false, false)]
    [InlineData(100, 40, 2500, false, false)]
    [InlineData(100, 40, 2500, true, true)]
    public void LongInnerDimensionGemmMatchesFloat64(int m, int n, int k, bool transposeA, bool transposeB)
    {
        using var scope = DisposeScope.Enter();
        float[] a = Reference.Random(m * k, m + k), b = Reference.Random(k * n, n + k);
        var ta = Tensor.FromArray(_device, a, transposeA ? [k, m] : [m, k]);
        var tb = Tensor.FromArray(_device, b, transposeB ? [n, k] : [k, n]);
        var (expected, bound) = Reference.Gemm(a, b, null, m, n, k, transposeA, transposeB, 1, 0);
        var (host, kernels) = Both(() => Blas.MatMul(ta, tb, transposeA, transposeB).ToArray());
        Reference.AssertWithinDotBound(host, expected, bound, k, $"host GEMM {m}x{n}x{k}");
        Reference.AssertWithinDotBound(kernels, expected, bound, k, $"kernel GEMM {m}x{n}x{k}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNormAgrees(bool training)
    {
        using var scope = DisposeScope.Enter();
        var x = Random(9, 3, 5, 6, 7);
        var weight = Random(10, 5);
        var bias = Random(11, 5);
        var dy = Random(12, 3, 5, 6, 7);
        float[] mean0 = Reference.Random(5, 13), var0 = Reference.Random(5, 14, 0.5f, 2f);
        var (host, kernels) = Both(() =>
        {
            var runningMean = Tensor.FromArray(_device, mean0, 5);
            var runningVar = Tensor.FromArray(_device, var0, 5);
            var (y, saved) = F.BatchNorm2d(x, runningMean, runningVar, weight, bias, training);
            var grads = F.BatchNorm2dBackward(dy, x, weight, saved, training);
            return (Y: y.ToArray(), Mean: runningMean.ToArray(), Var: runningVar.ToArray(),
                Dx: grads.Input.ToArray(), Dw: grads.Weight.ToArray(), Db: grads.Bias.ToArray());
        });
        AssertClose(kernels.Y, host.Y, 1e-5, "batch norm output");
        AssertClose(kernels.Mean, host.Mean, 1e-5, "running mean");
        AssertClose(kernels.Var, host.Var, 1e-5, "running variance");
        AssertClose(kernels.Dx, host.Dx, 1e-5, "batch norm input gradient");
        AssertClose(kernels.Dw, host.Dw, 1e-5, "batch norm weight gradient");
        AssertClose(kernels.Db, host.Db, 1e-5, "batch norm bias gradient");
    }

    [Theory]
    [InlineData(ActivationKind.Relu)]
    [InlineData(ActivationKind.LeakyRelu)]
    [InlineData(ActivationKind.Sigmoid)]
    [InlineData(ActivationKind.Tanh)]
    public void ActivationsAgreeBitForBitNaNIncluded(ActivationKind kind)
    {
        using var scope = DisposeScope.Enter();
        float[] data = Reference.Random(1000, 15, -4f, 4f);
        data[3] = float.NaN;
        data[10] = 0f;
        data[11] = -0f;
        data[12] = float.PositiveInfinity;
        data[13] = float.NegativeInfinity;
        var x = Tensor.FromArray(_device, data, 10, 100);
        var dy = Random(16, 10, 100);
        var (host, kernels) = Both(() =>
        {
            var y = kind switch
            {
                ActivationKind.Relu => F.Relu(x),
                ActivationKind.LeakyRelu => F.LeakyRelu(x, 0.2f),
                ActivationKind.Sigmoid => F.Sigmoid(x),
                _ => F.Tanh(x),
            };
            var saved = kind is ActivationKind.Relu or ActivationKind.LeakyRelu ? x : y;
            return (Y: y.ToArray(), Dx: F.ActivationBackward(kind, saved, dy, 0.2f).ToArray());
        });
        Assert.True(float.IsNaN(host.Y[3]), $"{kind} of NaN is {host.Y[3]} on the host path");
        Reference.AssertExactly(kernels.Y, host.Y, $"{kind} forward");
        Reference.AssertExactly(kernels.Dx, host.Dx, $"{kind} backward");
    }

    [Theory]
    [InlineData(2, 2, 0, false)]
    [InlineData(3, 2, 1, false)]
    [InlineData(3, 2, 0, true)]
    [InlineData(2, 1, 1, false)]
    public void MaxPoolingAgreesBitForBit(int kernel, int stride, int padding, bool ceilMode)
    {
        using var scope = DisposeScope.Enter();
        float[] data = Reference.Random(2 * 3 * 9 * 11, 17);
        for (int i = 0; i < data.Length; i += 7)
            data[i] = data[i + 1]; // ties: the first maximum wins in both
        data[20] = float.NaN;
        var x = Tensor.FromArray(_device, data, 2, 3, 9, 11);
        var (host, kernels) = Both(() =>
        {
            var (y, indices) = F.MaxPool2d(x, kernel, stride, padding, ceilMode: ceilMode);
            var dy = Random(18, y.Shape.Dims.ToArray());
            var dx = F.MaxPool2dBackward(dy, indices, x.Shape, kernel, stride, padding, ceilMode: ceilMode);
            return (Y: y.ToArray(), Indices: indices.ToArray(), Dx: dx.ToArray());
        });
        Reference.AssertExactly(kernels.Y, host.Y, "max pool output");
        Assert.Equal(kernels.Indices, host.Indices);
        Reference.AssertExactly(kernels.Dx, host.Dx, "max pool input gradient");
    }

    [Theory]
    [InlineData(true, 2.0)]
    [InlineData(false, 2.0)]
    [InlineData(false, 0.5)]
    [InlineData(true, 1.7)]
    public void BilinearResamplingAgrees(bool alignCorners, double scale)
    {
        using var scope = DisposeScope.Enter();
        var x = Random(19, 2, 3, 8, 10);
        var (host, kernels) = Both(() =>
        {
            var y = F.Interpolate(x, scaleFactor: scale, mode: InterpolationMode.Bilinear, alignCorners: alignCorners);
            var dy = Random(20, y.Shape.Dims.ToArray());
            var dx = F.InterpolateBackward(dy, x.Shape, scaleFactor: scale, mode: InterpolationMode.Bilinear, alignCorners: alignCorners);
            return (Y: y.ToArray(), Dx: dx.ToArray());
        });
        Reference.AssertExactly(kernels.Y, host.Y, "bilinear forward");
        AssertClose(kernels.Dx, host.Dx, 1e-6, "bilinear backward");
    }

    [Fact]
    public void ElementwiseOpsAgreeBitForBit()
    {
        using var scope = DisposeScope.Enter();
        var a = Random(21, 3, 4, 5, 6);
        var b = Random(22, 3, 4, 5, 6);
        var bias = Random(23, 4);
        var (host, kernels) = Both(() =>
        {
            var filled = Tensor.Empty(_device, 3, 4, 5, 6);
            TensorOps.Fill(filled, 0.375f);
            var copy = Tensor.Empty(_device, 3, 4, 5, 6);
            TensorOps.Copy(a, copy);
            TensorOps.Axpy(-0.7f, b, copy);
            TensorOps.Scale(copy, 1.3f);
            TensorOps.AddChannelBias(copy, bias);
            return (Filled: filled.ToArray(), Result: copy.ToArray(), Sum: F.Add(a, b).ToArray());
        });
        Reference.AssertExactly(kernels.Filled, host.Filled, "fill");
        Reference.AssertExactly(kernels.Result, host.Result, "copy, axpy, scale, channel bias");
        Reference.AssertExactly(kernels.Sum, host.Sum, "add");
    }

    [Fact]
    public void LayoutOpsAgreeBitForBit()
    {
        using var scope = DisposeScope.Enter();
        var a = Random(24, 2, 3, 9, 8);
        var b = Random(25, 2, 5, 9, 8);
        var (host, kernels) = Both(() =>
        {
            var crop = F.CenterCrop(a, 5, 4);
            var cropBack = F.CenterCropBackward(crop, a.Shape);
            var joined = F.Concat(a, b);
            var parts = F.ConcatBackward(joined, 3, 5);
            return (Crop: crop.ToArray(), CropBack: cropBack.ToArray(), Joined: joined.ToArray(), First: parts[0].ToArray(), Second: parts[1].ToArray());
        });
        Reference.AssertExactly(kernels.Crop, host.Crop, "centre crop");
        Reference.AssertExactly(kernels.CropBack, host.CropBack, "centre crop backward");
        Reference.AssertExactly(kernels.Joined, host.Joined, "concat");
        Reference.AssertExactly(kernels.First, host.First, "concat backward, first part");
        Reference.AssertExactly(kernels.Second, host.Second, "concat backward, second part");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdamAgreesBitForBit(bool decoupled)
    {
        float[] w = Reference.Random(40 * 30, 26), g = Reference.Random(40 * 30, 27);
        var (host, kernels) = Both(() =>
        {
            var layer = new Linear(40, 30, bias: false);
            layer.Initialize(_device);
            try
            {
                layer.Weight.Value.CopyFrom(w);
                layer.Weight.Grad.CopyFrom(g);
                using Adam adam = decoupled ? new AdamW([layer.Weight], 0.01f, weightDecay: 0.1f) : new Adam([layer.Weight], 0.01f, weightDecay: 0.1f);
                for (int step = 0; step < 3; step++)
                    adam.Step();
                return layer.Weight.Value.ToArray();
            }
            finally
            {
                layer.Release();
            }
        });
        Reference.AssertExactly(kernels, host, decoupled ? "AdamW, three steps" : "Adam, three steps");
        Assert.NotEqual(w, host);
    }

    /// <summary>
    /// The host convolution works on chunks of images and picks its GEMM path from the shapes; an
    /// image's output must not depend on which batch it came in, or a result would change with
    /// the batch size.
    /// </summary>
    [Fact]
    public void AnImagesConvolutionDoesNotDependOnItsBatch()
    {
        using var scope = DisposeScope.Enter();
        float[] batch = Reference.Random(8 * 16 * 12 * 12, 28);
        var w = Random(29, 32, 16, 3, 3);
        var x8 = Tensor.FromArray(_device, batch, 8, 16, 12, 12);
        var x1 = Tensor.FromArray(_device, batch.AsSpan(5 * 16 * 144, 16 * 144), 1, 16, 12, 12);
        float[] all = F.Conv2d(x8, w, null, 1, 1).ToArray();
        float[] alone = F.Conv2d(x1, w, null, 1, 1).ToArray();
        DeviceRounding.AssertExactlyAcrossKernels(_device, all.AsSpan(5 * 32 * 144, 32 * 144), alone, "image 5 of 8 against the same image alone");
    }

    // |host - kernels| <= tolerance * max |kernels|: the two add the same products in other orders.
    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        double worst = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        Assert.True(worst <= tolerance * scale, $"{what}, host against kernels: largest difference {worst:G3} against values up to {scale:G3}");
        Assert.Contains(expected, v => v != 0f);
    }
}
