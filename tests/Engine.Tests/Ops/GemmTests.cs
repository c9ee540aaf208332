using Engine.Devices;
using Engine.Ops;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Ops;

[Collection(DeviceCollection.Name)]
public sealed class GemmTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    private static readonly (int M, int N, int K)[] Sizes =
    [
        (1, 1, 1), (1, 17, 1), (17, 1, 17), (17, 17, 17), (65, 65, 65),
        (64, 64, 16), (63, 129, 31), (1000, 3, 17), (3, 1000, 65), (17, 5, 1000),
        // A long K (not a multiple of the vector width): the host GEMM's A B^T runs as dot products
        // (K >= 4096), the other transposes slice K; both have tails past the last full vector.
        (6, 7, 4101),
    ];

    public static TheoryData<int, int, int, bool, bool, GemmAlgorithm> Cases()
    {
        var data = new TheoryData<int, int, int, bool, bool, GemmAlgorithm>();
        foreach (var algorithm in new[] { GemmAlgorithm.RegisterTiled, GemmAlgorithm.SharedMemoryTiled, GemmAlgorithm.Host })
            foreach (var (m, n, k) in Sizes)
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                        data.Add(m, n, k, ta, tb, algorithm);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesFloat64Reference(int m, int n, int k, bool transposeA, bool transposeB, GemmAlgorithm algorithm)
    {
        if (!Supports(algorithm))
        {
            AssertRefused(algorithm);
            return;
        }
        int seed = m * 7919 + n * 104729 + k * 31 + (transposeA ? 1 : 0) + (transposeB ? 2 : 0);
        float[] a = Reference.Random(m * k, seed);
        float[] b = Reference.Random(k * n, seed + 1);
        float[] c0 = Reference.Random(m * n, seed + 2);
        using var ta = Tensor.FromArray(_device, a, transposeA ? [k, m] : [m, k]);
        using var tb = Tensor.FromArray(_device, b, transposeB ? [n, k] : [k, n]);
        using var tc = Tensor.FromArray(_device, c0, m, n);

        Blas.Gemm(ta, tb, tc, transposeA, transposeB, alpha: 0.75f, beta: -0.5f, algorithm: algorithm);

        var (expected, scale) = Reference.Gemm(a, b, c0, m, n, k, transposeA, transposeB, 0.75, -0.5);
        Reference.AssertWithinDotBound(tc.ToArray(), expected, scale, k + 1, $"{algorithm} {m}x{n}x{k} tA={transposeA} tB={transposeB}");
    }

    [Theory]
    [InlineData(GemmAlgorithm.RegisterTiled)]
    [InlineData(GemmAlgorithm.SharedMemoryTiled)]
    [InlineData(GemmAlgorithm.Host)]
    public void LargeSquareMatchesReference(GemmAlgorithm algorithm)
    {
        if (!Supports(algorithm))
        {
            AssertRefused(algorithm);
            return;
        }
        const int size = 192;
        float[] a = Reference.Random(size * size, 11);
        float[] b = Reference.Random(size * size, 12);
        using var ta = Tensor.FromArray(_device, a, size, size);
        using var tb = Tensor.FromArray(_device, b, size, size);
        using var tc = Tensor.Empty(_device, size, size);
        Blas.Gemm(ta, tb, tc, algorithm: algorithm);
        var (expected, scale) = Reference.Gemm(a, b, null, size, size, size, false, false, 1, 0);
        Reference.AssertWithinDotBound(tc.ToArray(), expected, scale, size, $"{algorithm} {size}^3");
    }

    [Theory]
    [InlineData(GemmAlgorithm.RegisterTiled, false)]
    [InlineData(GemmAlgorithm.RegisterTiled, true)]
    [InlineData(GemmAlgorithm.SharedMemoryTiled, false)]
    [InlineData(GemmAlgorithm.SharedMemoryTiled, true)]
    [InlineData(GemmAlgorithm.Host, false)]
    [InlineData(GemmAlgorithm.Host, true)]
    public void BatchedWithBroadcastOperand(GemmAlgorithm algorithm, bool broadcastA)
    {
        if (!Supports(algorithm))
        {
            AssertRefused(algorithm);
            return;
        }
        const int batch = 3, m = 33, n = 17, k = 9;
        int batchA = broadcastA ? 1 : batch, batchB = broadcastA ? batch : 1;
        float[] a = Reference.Random(batchA * m * k, 21);
        float[] b = Reference.Random(batchB * k * n, 22);
        float[] c0 = Reference.Random(batch * m * n, 23);
        using var ta = Tensor.FromArray(_device, a, batchA, m, k);
        using var tb = Tensor.FromArray(_device, b, batchB, n, k); // B transposed: stored [N, K]
        using var tc = Tensor.FromArray(_device, c0, batch, m, n);

        Blas.Gemm(ta, tb, tc, transposeB: true, alpha: 2f, beta: 1f, algorithm: algorithm);

        float[] actual = tc.ToArray();
        for (int i = 0; i < batch; i++)
        {
            var (expected, scale) = Reference.Gemm(a, b, c0, m, n, k, false, true, 2, 1,
                offsetA: broadcastA ? 0 : i * m * k, offsetB: broadcastA ? i * n * k : 0, offsetC: i * m * n);
            Reference.AssertWithinDotBound(actual.AsSpan(i * m * n, m * n), expected, scale, k + 1, $"batch entry {i}");
        }
    }

    public static TheoryData<int, int, int, bool, bool> TileCases()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var (m, n, k) in new[] { (129, 257, 33), (300, 130, 70), (5, 140, 9) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(m, n, k, ta, tb);
        return data;
    }

    /// <summary>
    /// The GPU GEMM's two tilings (128x128 blocks of 8x8 per work-item, 64x64 of 4x4), batched, in
    /// every transpose, against float64, and against each other: both sum each output's products in
    /// order, so they agree bit for bit and the tile choice never changes a result.
    /// </summary>
    [Theory]
    [MemberData(nameof(TileCases))]
    public void BothTilingsMatchTheReferenceAndEachOther(int m, int n, int k, bool transposeA, bool transposeB)
    {
        if (!Supports(GemmAlgorithm.SharedMemoryTiled))
        {
            AssertRefused(GemmAlgorithm.SharedMemoryTiled);
            return;
        }
        const int batch = 2;
        float[] a = Reference.Random(batch * m * k, m + k);
        float[] b = Reference.Random(batch * k * n, n + k);
        float[] c0 = Reference.Random(batch * m * n, m + n);
        using var ta = Tensor.FromArray(_device, a, transposeA ? [batch, k, m] : [batch, m, k]);
        using var tb = Tensor.FromArray(_device, b, transposeB ? [batch, n, k] : [batch, k, n]);
        var results = new List<float[]>();
        foreach (bool large in new[] { true, false })
        {
            using var tc = Tensor.FromArray(_device, c0, batch, m, n);
            using (ExecutionPaths.Override(largeTiles: large))
                Blas.Gemm(ta, tb, tc, transposeA, transposeB, alpha: 0.5f, beta: 2f, algorithm: GemmAlgorithm.SharedMemoryTiled);
            results.Add(tc.ToArray());
        }
        for (int i = 0; i < batch; i++)
        {
            var (expected, scale) = Reference.Gemm(a, b, c0, m, n, k, transposeA, transposeB, 0.5, 2,
                offsetA: i * m * k, offsetB: i * k * n, offsetC: i * m * n);
            Reference.AssertWithinDotBound(results[0].AsSpan(i * m * n, m * n), expected, scale, k + 1, $"128x128 tiles {m}x{n}x{k} batch entry {i}");
        }
        DeviceRounding.AssertExactlyAcrossKernels(_device, results[1], results[0], $"128x128 against 64x64 tiles {m}x{n}x{k} tA={transposeA} tB={transposeB}");
    }

    [Fact]
    public void BetaZeroDoesNotReadC()
    {
        float[] a = Reference.Random(5 * 7, 31);
        float[] b = Reference.Random(7 * 6, 32);
        using var ta = Tensor.FromArray(_device, a, 5, 7);
        using var tb = Tensor.FromArray(_device, b, 7, 6);
        using var tc = Tensor.Full(_device, float.NaN, 5, 6);
        Blas.Gemm(ta, tb, tc);
        var (expected, scale) = Reference.Gemm(a, b, null, 5, 6, 7, false, false, 1, 0);
        Reference.AssertWithinDotBound(tc.ToArray(), expected, scale, 7, "beta = 0 over NaN");
    }

    [Fact]
    public void MatMulAllocatesTheProduct()
    {
        float[] a = Reference.Random(4 * 3, 41);
        float[] b = Reference.Random(2 * 4 * 5, 42);
        using var ta = Tensor.FromArray(_device, a, 4, 3);
        using var tb = Tensor.FromArray(_device, b, 2, 4, 5);
        using var product = Blas.MatMul(ta, tb, transposeA: true);
        Assert.Equal(new Shape(2, 3, 5), product.Shape);
        float[] actual = product.ToArray();
        for (int i = 0; i < 2; i++)
        {
            var (expected, scale) = Reference.Gemm(a, b, null, 3, 5, 4, true, false, 1, 0, offsetB: i * 20);
            Reference.AssertWithinDotBound(actual.AsSpan(i * 15, 15), expected, scale, 4, $"batch {i}");
        }
    }

    [Fact]
    public void SameInputsGiveSameBits()
    {
        float[] a = Reference.Random(70 * 90, 51);
        float[] b = Reference.Random(90 * 50, 52);
        using var ta = Tensor.FromArray(_device, a, 70, 90);
        using var tb = Tensor.FromArray(_device, b, 90, 50);
        using var first = Blas.MatMul(ta, tb);
        using var second = Blas.MatMul(ta, tb);
        Reference.AssertExactly(first.ToArray(), second.ToArray(), "repeated GEMM");
    }

    [Fact]
    public void KernelsAreLoadedOncePerDevice()
    {
        using var a = Tensor.Full(_device, 1f, 3, 4);
        using var b = Tensor.Full(_device, 2f, 4, 5);
        using var c = Tensor.Empty(_device, 3, 5);
        Blas.Gemm(a, b, c);
        int loaded = _device.LoadedKernelCount;
        for (int i = 0; i < 3; i++)
            Blas.Gemm(a, b, c);
        Assert.Equal(loaded, _device.LoadedKernelCount);
        Assert.All(c.ToArray(), v => Assert.Equal(8f, v));
    }

    [Fact]
    public void MismatchedShapesAreRejectedWithBothShapes()
    {
        using var a = Tensor.Zeros(_device, 3, 4);
        using var b = Tensor.Zeros(_device, 5, 6);
        using var c = Tensor.Zeros(_device, 3, 6);
        var error = Assert.Throws<ArgumentException>(() => Blas.Gemm(a, b, c));
        Assert.Contains("[3, 4]", error.Message);
        Assert.Contains("[5, 6]", error.Message);
        Assert.Contains("inner dimensions differ (4 and 5)", error.Message);

        using var wrongC = Tensor.Zeros(_device, 4, 6);
        using var b2 = Tensor.Zeros(_device, 4, 6);
        var cError = Assert.Throws<ArgumentException>(() => Blas.Gemm(a, b2, wrongC));
        Assert.Contains("C must be [3, 6]", cError.Message);

        using var batched = Tensor.Zeros(_device, 2, 3, 4);
        using var batchedC = Tensor.Zeros(_device, 3, 3, 6);
        var batchError = Assert.Throws<ArgumentException>(() => Blas.Gemm(batched, b2, batchedC));
        Assert.Contains("batch sizes 2 (A) and 1 (B) must equal C's 3", batchError.Message);

        using var vector = Tensor.Zeros(_device, 4);
        var rankError = Assert.Throws<ArgumentException>(() => Blas.Gemm(vector, b2, c));
        Assert.Contains("got shape [4]", rankError.Message);
    }

    [Fact]
    public void OutputAliasingAnInputIsRejected()
    {
        using var a = Tensor.Zeros(_device, 4, 4);
        using var alias = a.Reshape(4, 4);
        using var b = Tensor.Zeros(_device, 4, 4);
        var error = Assert.Throws<ArgumentException>(() => Blas.Gemm(a, b, alias));
        Assert.Contains("must not share memory", error.Message);
    }

    private bool Supports(GemmAlgorithm algorithm) => algorithm switch
    {
        GemmAlgorithm.SharedMemoryTiled => _device.Info.MaxGroupSize >= 256,
        GemmAlgorithm.Host => _device.Info.Kind == Engine.Devices.DeviceKind.Cpu,
        _ => true,
    };

    private void AssertRefused(GemmAlgorithm algorithm)
    {
        var error = Assert.Throws<ArgumentException>(() => Blas.Resolve(_device, algorithm));
        Assert.Contains(algorithm == GemmAlgorithm.Host ? "runs only on the CPU accelerator" : $"allows {_device.Info.MaxGroupSize}", error.Message);
    }
}
