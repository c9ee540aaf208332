using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// GEMM for GPUs, for outputs too small for <see cref="GemmLargeTileKernels"/> to give every
/// multiprocessor work: each group of 16x16 work-items computes a 64x64 block of C, each work-item
/// a 4x4 register tile at rows <c>ty + 16i</c> and columns <c>tx + 16j</c> (neighbouring work-items
/// store neighbouring columns). Per step it stages 64x16 of A and 16x64 of B in shared memory,
/// coalesced whichever way each operand is stored (<see cref="GemmTiles"/>), with padded pitches,
/// double-buffered (one barrier per step). Every output sums its K products in order. Uses only
/// group barriers and shared memory (no warp shuffles), so it compiles for PTX and OpenCL alike.
/// </summary>
/// <remarks>
/// Launch with grid <c>(ceil(N/64), ceil(M/64), Batch)</c> and group <c>(16, 16)</c>.
/// Loads past the edges read zero; stores past the edges are skipped.
/// </remarks>
public static class GemmSharedTiledKernels
{
    /// <summary>Rows of C per group.</summary>
    public const int BlockRows = 64;
    /// <summary>Columns of C per group.</summary>
    public const int BlockCols = 64;
    /// <summary>Depth of K staged in shared memory per step.</summary>
    public const int BlockDepth = 16;
    /// <summary>Threads per group along each axis.</summary>
    public const int GroupSide = 16;

    private const int Threads = GroupSide * GroupSide;
    private const int PitchA = BlockRows + 1;
    private const int PitchB = BlockCols + 1;
    private const int TileA = BlockDepth * PitchA;
    private const int TileB = BlockDepth * PitchB;

    /// <summary>Computes one 64x64 block of one batch entry of C.</summary>
    /// <param name="a">A matrices, op(A) is [M, K] per batch entry.</param>
    /// <param name="b">B matrices, op(B) is [K, N] per batch entry.</param>
    /// <param name="c">C matrices, [M, N] with pitch Ldc per batch entry.</param>
    /// <param name="p">Shapes, pitches, strides and scales.</param>
    public static void Gemm64x64<TA, TB>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
        where TA : struct, IMatrixLayout
        where TB : struct, IMatrixLayout =>
        Block(default(MatrixOperand<TA>), default(MatrixOperand<TB>), default(PlainStore), a, a, b, b, c, c, c, p, Grid.IdxZ);

    /// <summary>
    /// The block computation for any operands and epilogue: the GEMM above, and the implicit-GEMM
    /// convolutions (<c>ImplicitConvKernels</c>), which gather their operands from tensors and fuse
    /// the work after the product. <paramref name="aMask"/> and <paramref name="bMask"/> go to the
    /// operands, <paramref name="aux0"/> and <paramref name="aux1"/> to the epilogue.
    /// <paramref name="batch"/> is the batch entry (the grid's z, or part of it when one launch runs
    /// two products); a group whose block lies past C's edges returns at once, so one launch can
    /// cover two products of different shapes.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void Block<TA, TB, TE>(TA opA, TB opB, TE epilogue, ArrayView<float> a, ArrayView<float> aMask, ArrayView<float> b, ArrayView<float> bMask,
        ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, GemmParams p, int batch)
        where TA : struct, IGemmOperand
        where TB : struct, IGemmOperand
        where TE : struct, IGemmEpilogue
    {
        // Two buffers each: tileA [2][BlockDepth][PitchA], tileB [2][BlockDepth][PitchB].
        var tileA = SharedMemory.Allocate<float>(2 * TileA);
        var tileB = SharedMemory.Allocate<float>(2 * TileB);
        int tx = Group.IdxX;
        int ty = Group.IdxY;
        int thread = ty * GroupSide + tx;
        int blockRow0 = Grid.IdxY * BlockRows;
        int blockCol0 = Grid.IdxX * BlockCols;
        if (blockRow0 >= p.M || blockCol0 >= p.N)
            return; // the whole group: past this product's edge
        long aBase = batch * p.StrideA;
        long bBase = batch * p.StrideB;

        // Each work-item stages 4 elements of each tile per step (1024 / 256).
        var staged = Stage(opA, opB, a, aMask, b, bMask, aBase, bBase, p, blockRow0, blockCol0, 0, thread);
        staged.Put(tileA, tileB, 0, 0);
        Group.Barrier();

        var acc0 = default(Row4);
        var acc1 = default(Row4);
        var acc2 = default(Row4);
        var acc3 = default(Row4);
        int steps = (p.K + BlockDepth - 1) / BlockDepth;
        for (int step = 0; step < steps; step++)
        {
            int current = step & 1;
            bool more = step + 1 < steps;
            if (more)
                staged = Stage(opA, opB, a, aMask, b, bMask, aBase, bBase, p, blockRow0, blockCol0, (step + 1) * BlockDepth, thread);
            for (int kk = 0; kk < BlockDepth; kk++)
            {
                int rowA = current * TileA + kk * PitchA + ty;
                int rowB = current * TileB + kk * PitchB + tx;
                float a0 = tileA[rowA + 0];
                float a1 = tileA[rowA + 16];
                float a2 = tileA[rowA + 32];
                float a3 = tileA[rowA + 48];
                var bs = Row4.Load(tileB, rowB);
                acc0 = Row4.MultiplyAdd(acc0, a0, bs);
                acc1 = Row4.MultiplyAdd(acc1, a1, bs);
                acc2 = Row4.MultiplyAdd(acc2, a2, bs);
                acc3 = Row4.MultiplyAdd(acc3, a3, bs);
            }
            if (more)
                staged.Put(tileA, tileB, (1 - current) * TileA, (1 - current) * TileB);
            Group.Barrier();
        }

        long cBase = batch * p.StrideC;
        acc0.Store(epilogue, c, aux0, aux1, cBase, batch, blockRow0 + ty + 0, blockCol0 + tx, p);
        acc1.Store(epilogue, c, aux0, aux1, cBase, batch, blockRow0 + ty + 16, blockCol0 + tx, p);
        acc2.Store(epilogue, c, aux0, aux1, cBase, batch, blockRow0 + ty + 32, blockCol0 + tx, p);
        acc3.Store(epilogue, c, aux0, aux1, cBase, batch, blockRow0 + ty + 48, blockCol0 + tx, p);
    }

    private static StagedTiles Stage<TA, TB>(TA opA, TB opB, ArrayView<float> a, ArrayView<float> aMask, ArrayView<float> b, ArrayView<float> bMask, long aBase, long bBase, GemmParams p,
        int blockRow0, int blockCol0, int k0, int thread)
        where TA : struct, IGemmOperand
        where TB : struct, IGemmOperand =>
        GemmTiles.Stage(opA, opB, a, aMask, b, bMask, aBase, bBase, p, blockRow0, blockCol0, k0, BlockRows, BlockCols, BlockDepth, PitchA, PitchB, thread, Threads);

    /// <summary>Four values of a row of the register tile (columns <c>tx + 16j</c>), kept in registers.</summary>
    private struct Row4
    {
        public float C0, C1, C2, C3;

        public static Row4 Load(ArrayView<float> tile, int at) => new()
        {
            C0 = tile[at], C1 = tile[at + 16], C2 = tile[at + 32], C3 = tile[at + 48],
        };

        public static Row4 MultiplyAdd(Row4 acc, float a, Row4 b) => new()
        {
            C0 = acc.C0 + a * b.C0, C1 = acc.C1 + a * b.C1, C2 = acc.C2 + a * b.C2, C3 = acc.C3 + a * b.C3,
        };

        public readonly void Store<TE>(TE epilogue, ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row, int col0, GemmParams p)
            where TE : struct, IGemmEpilogue
        {
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0, C0, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 16, C1, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 32, C2, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 48, C3, p);
        }
    }
}
