using Engine.Devices;
using Engine.Kernels.Blas;
using Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;
using RegisterLauncher = System.Action<ILGPU.Index1D, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, Engine.Kernels.Blas.GemmParams>;
using SharedLauncher = System.Action<ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, Engine.Kernels.Blas.GemmParams>;

namespace Engine.Ops;

/// <summary>
/// Matrix products: <c>C = alpha * op(A) * op(B) + beta * C</c>, batched and strided, with each
/// operand transposed or not. Convolutions and linear layers are built on this.
/// </summary>
public static class Blas
{
    // Indexed by (transposeA ? 2 : 0) + (transposeB ? 1 : 0). The GEMM kernels are generic over the
    // operands' layouts, so their generated loaders are factories (one loader per instantiation,
    // named "<kernel's [Loader] name>.<variant>"); these arrays hold the four of each.
    private static readonly KernelLoader<RegisterLauncher>[] RegisterTiled =
    [
        GemmRegisterTiledLoaders.Gemm<AsStored, AsStored>("NN"),
        GemmRegisterTiledLoaders.Gemm<AsStored, Transposed>("NT"),
        GemmRegisterTiledLoaders.Gemm<Transposed, AsStored>("TN"),
        GemmRegisterTiledLoaders.Gemm<Transposed, Transposed>("TT"),
    ];

    private static readonly KernelLoader<SharedLauncher>[] SharedTiled =
    [
        GemmSharedTiledLoaders.Gemm64x64<AsStored, AsStored>("NN"),
        GemmSharedTiledLoaders.Gemm64x64<AsStored, Transposed>("NT"),
        GemmSharedTiledLoaders.Gemm64x64<Transposed, AsStored>("TN"),
        GemmSharedTiledLoaders.Gemm64x64<Transposed, Transposed>("TT"),
    ];

    private static readonly KernelLoader<SharedLauncher>[] LargeTiled =
    [
        GemmLargeTileLoaders.Gemm128x128<AsStored, AsStored>("NN"),
        GemmLargeTileLoaders.Gemm128x128<AsStored, Transposed>("NT"),
        GemmLargeTileLoaders.Gemm128x128<Transposed, AsStored>("TN"),
        GemmLargeTileLoaders.Gemm128x128<Transposed, Transposed>("TT"),
    ];

    /// <summary>
    /// Most batch entries one block-tiled launch takes: the batch is the grid's z, and CUDA limits a
    /// grid's z to 65,535 (OpenCL's and the CPU accelerator's limits are higher).
    /// </summary>
    internal const int MaxBatchPerLaunch = 65535;

    /// <summary>
    /// <c>C = alpha * op(A) * op(B) + beta * C</c> on tensors of rank 2 (<c>[rows, cols]</c>) or 3
    /// (<c>[batch, rows, cols]</c>). A transposed operand is given as stored: with
    /// <paramref name="transposeA"/>, A is <c>[K, M]</c>. An A or B with batch 1 (or rank 2) is
    /// shared by every batch entry of C. C must not share memory with A or B.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not chain; the message gives all three.</exception>
    public static void Gemm(Tensor a, Tensor b, Tensor c, bool transposeA = false, bool transposeB = false,
        float alpha = 1f, float beta = 0f, GemmAlgorithm algorithm = GemmAlgorithm.Auto)
    {
        Check.SameDevice(nameof(Gemm), c.Device, a, b, c);
        var (batchA, rowsA, colsA) = AsBatch(nameof(a), a.Shape);
        var (batchB, rowsB, colsB) = AsBatch(nameof(b), b.Shape);
        var (batchC, m, n) = AsBatch(nameof(c), c.Shape);
        int mA = transposeA ? colsA : rowsA, k = transposeA ? rowsA : colsA;
        int kB = transposeB ? colsB : rowsB, nB = transposeB ? rowsB : colsB;
        string shapes = $"op(A) = {Describe(a.Shape, transposeA)}, op(B) = {Describe(b.Shape, transposeB)}, C = {c.Shape}";
        if (k != kB)
            throw new ArgumentException($"{nameof(Gemm)}: inner dimensions differ ({k} and {kB}): {shapes}.");
        if (mA != m || nB != n)
            throw new ArgumentException($"{nameof(Gemm)}: C must be [{mA}, {nB}] per batch entry: {shapes}.");
        if ((batchA != batchC && batchA != 1) || (batchB != batchC && batchB != 1))
            throw new ArgumentException($"{nameof(Gemm)}: batch sizes {batchA} (A) and {batchB} (B) must equal C's {batchC} or be 1: {shapes}.");
        if (c.SharesStorageWith(a) || c.SharesStorageWith(b))
            throw new ArgumentException($"{nameof(Gemm)}: C must not share memory with A or B.");

        var p = new GemmParams(m, n, k, colsA, colsB, n,
            batchA == 1 ? 0 : (long)rowsA * colsA,
            batchB == 1 ? 0 : (long)rowsB * colsB,
            (long)m * n, batchC, alpha, beta);
        Launch(c.Device, a.View, b.View, c.View, transposeA, transposeB, p, algorithm);
    }

    /// <summary>A new tensor <c>op(A) * op(B)</c> (batched when either operand is rank 3), like <c>torch.matmul</c>.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        Check.SameDevice(nameof(MatMul), a.Device, a, b);
        var (batchA, rowsA, colsA) = AsBatch(nameof(a), a.Shape);
        var (batchB, rowsB, colsB) = AsBatch(nameof(b), b.Shape);
        int batch = Math.Max(batchA, batchB);
        int m = transposeA ? colsA : rowsA, n = transposeB ? rowsB : colsB;
        var shape = a.Shape.Rank == 3 || b.Shape.Rank == 3 ? new Shape(batch, m, n) : new Shape(m, n);
        var c = Tensor.Empty(a.Device, shape);
        try
        {
            Gemm(a, b, c, transposeA, transposeB);
        }
        catch
        {
            c.Dispose();
            throw;
        }
        return c;
    }

    /// <summary>
    /// The GEMM on raw views, for ops that multiply slices of their buffers (convolution per
    /// group, per image). Checks that every matrix the parameters reach lies inside its view.
    /// </summary>
    internal static void Launch(ComputeDevice device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c,
        bool transposeA, bool transposeB, in GemmParams p, GemmAlgorithm algorithm = GemmAlgorithm.Auto)
    {
        CheckParams(p, transposeA, transposeB, a.Length, b.Length, c.Length);
        int variant = (transposeA ? 2 : 0) + (transposeB ? 1 : 0);
        var resolved = Resolve(device, algorithm);
        if (resolved == GemmAlgorithm.Host)
        {
            device.Synchronize(); // kernels queued before must have written A, B and C
            HostGemm.Run(a, b, c, transposeA, transposeB, p);
        }
        else if (resolved == GemmAlgorithm.SharedMemoryTiled)
        {
            bool large = UsesLargeTiles(device, p);
            var launch = device.Kernel(large ? LargeTiled[variant] : SharedTiled[variant]);
            int rows = large ? GemmLargeTileKernels.BlockRows : GemmSharedTiledKernels.BlockRows;
            int cols = large ? GemmLargeTileKernels.BlockCols : GemmSharedTiledKernels.BlockCols;
            int side = large ? GemmLargeTileKernels.GroupSide : GemmSharedTiledKernels.GroupSide;
            var group = new Index3D(side, side, 1);
            // The batch is the grid's z, which CUDA caps at MaxBatchPerLaunch: larger batches run in
            // chunks, each with its operands' views advanced to its first entry (a broadcast operand's
            // stride is 0, so it stays). Every output is still one block's sum in order: the same bits.
            for (int first = 0; first < p.Batch; first += MaxBatchPerLaunch)
            {
                int count = Math.Min(MaxBatchPerLaunch, p.Batch - first);
                var grid = new Index3D(Ceil(p.N, cols), Ceil(p.M, rows), count);
                launch(new KernelConfig(grid, group),
                    a.SubView(first * p.StrideA), b.SubView(first * p.StrideB), c.SubView(first * p.StrideC), Entries(p, count));
            }
        }
        else
        {
            long tiles = (long)p.Batch
                * Ceil(p.M, GemmRegisterTiledKernels.TileRows)
                * Ceil(p.N, GemmRegisterTiledKernels.TileCols);
            device.Kernel(RegisterTiled[variant])(Check.LaunchSize(nameof(Gemm), tiles), a, b, c, p);
        }
        device.Profile?.AddFlops(2.0 * p.M * p.N * p.K * p.Batch);
    }

    /// <summary>Whether a shared-memory product takes 128x128 tiles on <paramref name="device"/> (see <see cref="ExecutionPaths.PlannedMultiprocessors"/>).</summary>
    internal static bool UsesLargeTiles(ComputeDevice device, in GemmParams p)
    {
        long groups = (long)Ceil(p.M, GemmLargeTileKernels.BlockRows) * Ceil(p.N, GemmLargeTileKernels.BlockCols) * p.Batch;
        return UsesLargeTiles(device, groups);
    }

    /// <summary>Whether a launch of <paramref name="groups"/> 128x128 blocks takes them (else 64x64).</summary>
    internal static bool UsesLargeTiles(ComputeDevice device, long groups) => device.Paths.LargeTiles(groups);

    /// <summary>The environment variable that replaces the <see cref="GemmAlgorithm.Auto"/> choice for a process: <c>register</c>, <c>shared</c> or <c>host</c> (to profile or test the GPU's kernel on another device).</summary>
    public const string AlgorithmVariable = ExecutionPaths.GemmVariable;

    /// <summary>The algorithm <see cref="GemmAlgorithm.Auto"/> means on a device (what the device resolved when it opened), or the checked explicit choice.</summary>
    public static GemmAlgorithm Resolve(ComputeDevice device, GemmAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.Paths.Checked(algorithm);
    }

    private static void CheckParams(in GemmParams p, bool transposeA, bool transposeB, long lengthA, long lengthB, long lengthC)
    {
        if (p.M <= 0 || p.N <= 0 || p.K <= 0 || p.Batch <= 0)
            throw new ArgumentException($"{nameof(Gemm)}: M = {p.M}, N = {p.N}, K = {p.K} and batch = {p.Batch} must be positive.");
        if (p.StrideA < 0 || p.StrideB < 0 || p.StrideC <= 0 && p.Batch > 1)
            throw new ArgumentException($"{nameof(Gemm)}: strides A = {p.StrideA}, B = {p.StrideB}, C = {p.StrideC} are invalid (C's must be positive when batched).");
        CheckOperand("A", transposeA ? p.K : p.M, transposeA ? p.M : p.K, p.Lda, p.StrideA, p.Batch, lengthA);
        CheckOperand("B", transposeB ? p.N : p.K, transposeB ? p.K : p.N, p.Ldb, p.StrideB, p.Batch, lengthB);
        CheckOperand("C", p.M, p.N, p.Ldc, p.StrideC, p.Batch, lengthC);
    }

    private static void CheckOperand(string name, int rows, int cols, int ld, long stride, int batch, long length)
    {
        if (ld < cols)
            throw new ArgumentException($"{nameof(Gemm)}: leading dimension of {name} is {ld}, less than its {cols} stored columns.");
        if ((long)(rows - 1) * ld + cols > int.MaxValue)
            throw new ArgumentException($"{nameof(Gemm)}: one {name} matrix ([{rows}, {cols}], pitch {ld}) exceeds 2^31 elements.");
        long end = (batch - 1) * stride + (long)(rows - 1) * ld + cols;
        if (end > length)
            throw new ArgumentException($"{nameof(Gemm)}: {name} needs {end} elements ({batch} x [{rows}, {cols}], pitch {ld}, stride {stride}) but its buffer holds {length}.");
    }

    // The parameters of `count` consecutive batch entries, from views that start at the first of them.
    private static GemmParams Entries(in GemmParams p, int count) =>
        new(p.M, p.N, p.K, p.Lda, p.Ldb, p.Ldc, p.StrideA, p.StrideB, p.StrideC, count, p.Alpha, p.Beta);

    private static (int Batch, int Rows, int Cols) AsBatch(string name, Shape shape) => shape.Rank switch
    {
        2 => (1, shape[0], shape[1]),
        3 => (shape[0], shape[1], shape[2]),
        _ => throw new ArgumentException($"{nameof(Gemm)}: {name} must be [rows, cols] or [batch, rows, cols], got shape {shape}.", name),
    };

    private static string Describe(Shape shape, bool transposed) => transposed ? $"{shape}^T" : shape.ToString();

    private static int Ceil(int value, int divisor) => (value + divisor - 1) / divisor;
}
