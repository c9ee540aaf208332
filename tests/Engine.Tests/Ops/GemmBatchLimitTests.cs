using Engine.Devices;
using Engine.Ops;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Ops;

/// <summary>
/// Batches past CUDA's grid limit on the block-tiled GEMMs, which put the batch entry in the grid's z
/// (at most 65,535 on CUDA): 65,537 entries of small matrices run as two launches, 65,535 entries and
/// 2, and every entry (those of the second launch included) matches float64, with each operand batched
/// or broadcast (stride 0, which must not advance). On a device whose groups cannot hold the
/// block-tiled kernels (the CPU accelerator) the algorithm is refused, as in <see cref="GemmTests"/>.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class GemmBatchLimitTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    private const int Batch = Blas.MaxBatchPerLaunch + 2;
    private const int M = 3, N = 2, K = 5;

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    public void BatchesPastTheGridLimitRunInChunksAndMatchFloat64(bool largeTiles, bool broadcastA, bool broadcastB)
    {
        if (_device.Info.MaxGroupSize < 256)
        {
            var error = Assert.Throws<ArgumentException>(() => Blas.Resolve(_device, GemmAlgorithm.SharedMemoryTiled));
            Assert.Contains($"allows {_device.Info.MaxGroupSize}", error.Message);
            return;
        }
        int batchA = broadcastA ? 1 : Batch, batchB = broadcastB ? 1 : Batch;
        int seed = (largeTiles ? 1 : 0) + (broadcastA ? 2 : 0) + (broadcastB ? 4 : 0);
        float[] a = Reference.Random(batchA * M * K, 61 + seed);
        float[] b = Reference.Random(batchB * K * N, 71 + seed);
        float[] c0 = Reference.Random(Batch * M * N, 81 + seed);
        using var scope = DisposeScope.Enter();
        var ta = Tensor.FromArray(_device, a, batchA, M, K);
        var tb = Tensor.FromArray(_device, b, batchB, K, N);
        var tc = Tensor.FromArray(_device, c0, Batch, M, N);

        var profile = _device.StartProfile();
        try
        {
            using var tiles = ExecutionPaths.Override(largeTiles: largeTiles);
            Blas.Gemm(ta, tb, tc, alpha: 1.5f, beta: -1f, algorithm: GemmAlgorithm.SharedMemoryTiled); // beta reads C from each chunk's view too
        }
        finally
        {
            _device.StopProfile();
        }
        // One block per entry (3 x 2 fits one block of either size), 256 work-items a block.
        Assert.Equal([(long)Blas.MaxBatchPerLaunch * 256, 2L * 256], profile.Launches.Select(l => l.WorkItems));

        var expected = new double[Batch * M * N];
        var scale = new double[Batch * M * N];
        for (int i = 0; i < Batch; i++)
        {
            var (value, absSum) = Reference.Gemm(a, b, c0, M, N, K, false, false, 1.5, -1,
                offsetA: broadcastA ? 0 : (long)i * M * K, offsetB: broadcastB ? 0 : (long)i * K * N, offsetC: (long)i * M * N);
            value.CopyTo(expected, i * M * N);
            absSum.CopyTo(scale, i * M * N);
        }
        Reference.AssertWithinDotBound(tc.ToArray(), expected, scale, K + 1,
            $"{Batch} entries, {(largeTiles ? "128x128" : "64x64")} tiles, A {(broadcastA ? "broadcast" : "batched")}, B {(broadcastB ? "broadcast" : "batched")}");
    }
}
