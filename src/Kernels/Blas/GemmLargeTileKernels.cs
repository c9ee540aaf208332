using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// GEMM for GPUs with large outputs: each group of 16x16 work-items computes a 128x128 block of C,
/// each work-item an 8x8 register tile (rows <c>ty + 16i</c>, columns <c>tx + 16j</c>, so
/// neighbouring work-items load and store neighbouring columns): 16 shared-memory loads feed 64
/// FMAs. Per step it stages 128x8 of A and 8x128 of B in shared memory, coalesced whichever way
/// each operand is stored (<see cref="GemmTiles"/>), with padded pitches, and double-buffered: the
/// next step's tiles are read from global memory into registers before the current step's
/// arithmetic and stored to the other buffer after it, so one barrier per step suffices and the
/// loads' latency hides behind the FMAs. Every output sums its K products in order, one FMA at a
/// time, as <see cref="GemmSharedTiledKernels"/> does, so the two tilings give the same results.
/// Only group barriers and shared memory: it compiles for PTX and OpenCL alike.
/// </summary>
/// <remarks>
/// Launch with grid <c>(ceil(N/128), ceil(M/128), Batch)</c> and group <c>(16, 16)</c>.
/// Shared memory: two buffers of 8 x 129 floats for each operand (16.5 KiB).
/// </remarks>
public static class GemmLargeTileKernels
{
    /// <summary>Rows of C per group.</summary>
    public const int BlockRows = 128;
    /// <summary>Columns of C per group.</summary>
    public const int BlockCols = 128;
    /// <summary>Depth of K staged per step.</summary>
    public const int BlockDepth = 8;
    /// <summary>Work-items per group along each axis.</summary>
    public const int GroupSide = 16;

    private const int Threads = GroupSide * GroupSide;
    private const int PitchA = BlockRows + 1;
    private const int PitchB = BlockCols + 1;
    private const int TileA = BlockDepth * PitchA;
    private const int TileB = BlockDepth * PitchB;

    /// <summary>Computes one 128x128 block of one batch entry of C.</summary>
    /// <param name="a">A matrices, op(A) is [M, K] per batch entry.</param>
    /// <param name="b">B matrices, op(B) is [K, N] per batch entry.</param>
    /// <param name="c">C matrices, [M, N] with pitch Ldc per batch entry.</param>
    /// <param name="p">Shapes, pitches, strides and scales.</param>
    public static void Gemm128x128<TA, TB>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
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

        var acc0 = default(Row8);
        var acc1 = default(Row8);
        var acc2 = default(Row8);
        var acc3 = default(Row8);
        var acc4 = default(Row8);
        var acc5 = default(Row8);
        var acc6 = default(Row8);
        var acc7 = default(Row8);
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
                float a4 = tileA[rowA + 64];
                float a5 = tileA[rowA + 80];
                float a6 = tileA[rowA + 96];
                float a7 = tileA[rowA + 112];
                var bs = Row8.Load(tileB, rowB);
                acc0 = Row8.MultiplyAdd(acc0, a0, bs);
                acc1 = Row8.MultiplyAdd(acc1, a1, bs);
                acc2 = Row8.MultiplyAdd(acc2, a2, bs);
                acc3 = Row8.MultiplyAdd(acc3, a3, bs);
                acc4 = Row8.MultiplyAdd(acc4, a4, bs);
                acc5 = Row8.MultiplyAdd(acc5, a5, bs);
                acc6 = Row8.MultiplyAdd(acc6, a6, bs);
                acc7 = Row8.MultiplyAdd(acc7, a7, bs);
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
        acc4.Store(epilogue, c, aux0, aux1, cBase, batch, blockRow0 + ty + 64, blockCol0 + tx, p);
        acc5.Store(epilogue, c, aux0, aux1, cBase, batch, blockRow0 + ty + 80, blockCol0 + tx, p);
        acc6.Store(epilogue, c, aux0, aux1, cBase, batch, blockRow0 + ty + 96, blockCol0 + tx, p);
        acc7.Store(epilogue, c, aux0, aux1, cBase, batch, blockRow0 + ty + 112, blockCol0 + tx, p);
    }

    private static StagedTiles Stage<TA, TB>(TA opA, TB opB, ArrayView<float> a, ArrayView<float> aMask, ArrayView<float> b, ArrayView<float> bMask, long aBase, long bBase, GemmParams p,
        int blockRow0, int blockCol0, int k0, int thread)
        where TA : struct, IGemmOperand
        where TB : struct, IGemmOperand =>
        GemmTiles.Stage(opA, opB, a, aMask, b, bMask, aBase, bBase, p, blockRow0, blockCol0, k0, BlockRows, BlockCols, BlockDepth, PitchA, PitchB, thread, Threads);

    /// <summary>Eight values of a row of the register tile (columns <c>tx + 16j</c>), kept in registers.</summary>
    private struct Row8
    {
        public float C0, C1, C2, C3, C4, C5, C6, C7;

        public static Row8 Load(ArrayView<float> tile, int at) => new()
        {
            C0 = tile[at], C1 = tile[at + 16], C2 = tile[at + 32], C3 = tile[at + 48],
            C4 = tile[at + 64], C5 = tile[at + 80], C6 = tile[at + 96], C7 = tile[at + 112],
        };

        public static Row8 MultiplyAdd(Row8 acc, float a, Row8 b) => new()
        {
            C0 = acc.C0 + a * b.C0, C1 = acc.C1 + a * b.C1, C2 = acc.C2 + a * b.C2, C3 = acc.C3 + a * b.C3,
            C4 = acc.C4 + a * b.C4, C5 = acc.C5 + a * b.C5, C6 = acc.C6 + a * b.C6, C7 = acc.C7 + a * b.C7,
        };

        public readonly void Store<TE>(TE epilogue, ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row, int col0, GemmParams p)
            where TE : struct, IGemmEpilogue
        {
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0, C0, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 16, C1, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 32, C2, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 48, C3, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 64, C4, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 80, C5, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 96, C6, p);
            epilogue.Store(c, aux0, aux1, cBase, batch, row, col0 + 112, C7, p);
        }
    }
}
