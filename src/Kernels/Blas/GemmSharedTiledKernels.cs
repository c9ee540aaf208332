using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// GEMM for GPUs: each group of 16x16 threads computes a 64x64 block of C, staging 64x16 of A
/// and 16x64 of B in shared memory per step; each thread keeps a 4x4 register tile at rows
/// <c>ty + 16i</c> and columns <c>tx + 16j</c>, so neighbouring threads store neighbouring
/// columns. Uses only group barriers and shared memory (no warp shuffles), so it compiles for
/// PTX and OpenCL alike.
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

    private const int ThreadsPerGroup = GroupSide * GroupSide;

    /// <summary>Computes one 64x64 block of one batch entry of C.</summary>
    /// <param name="a">A matrices, op(A) is [M, K] per batch entry.</param>
    /// <param name="b">B matrices, op(B) is [K, N] per batch entry.</param>
    /// <param name="c">C matrices, [M, N] with pitch Ldc per batch entry.</param>
    /// <param name="p">Shapes, pitches, strides and scales.</param>
    public static void Gemm64x64<TA, TB>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
        where TA : struct, IMatrixLayout
        where TB : struct, IMatrixLayout
    {
        // tileA is [BlockDepth, BlockRows], tileB is [BlockDepth, BlockCols].
        var tileA = SharedMemory.Allocate<float>(BlockDepth * BlockRows);
        var tileB = SharedMemory.Allocate<float>(BlockDepth * BlockCols);
        int tx = Group.IdxX;
        int ty = Group.IdxY;
        int thread = ty * GroupSide + tx;
        int blockRow0 = Grid.IdxY * BlockRows;
        int blockCol0 = Grid.IdxX * BlockCols;
        int batch = Grid.IdxZ;
        long aBase = batch * p.StrideA;
        long bBase = batch * p.StrideB;

        float s00 = 0f; float s01 = 0f; float s02 = 0f; float s03 = 0f;
        float s10 = 0f; float s11 = 0f; float s12 = 0f; float s13 = 0f;
        float s20 = 0f; float s21 = 0f; float s22 = 0f; float s23 = 0f;
        float s30 = 0f; float s31 = 0f; float s32 = 0f; float s33 = 0f;

        for (int k0 = 0; k0 < p.K; k0 += BlockDepth)
        {
            LoadTiles<TA, TB>(a, b, tileA, tileB, p, aBase, bBase, blockRow0, blockCol0, k0, thread + 0 * ThreadsPerGroup);
            LoadTiles<TA, TB>(a, b, tileA, tileB, p, aBase, bBase, blockRow0, blockCol0, k0, thread + 1 * ThreadsPerGroup);
            LoadTiles<TA, TB>(a, b, tileA, tileB, p, aBase, bBase, blockRow0, blockCol0, k0, thread + 2 * ThreadsPerGroup);
            LoadTiles<TA, TB>(a, b, tileA, tileB, p, aBase, bBase, blockRow0, blockCol0, k0, thread + 3 * ThreadsPerGroup);
            Group.Barrier();

            for (int kk = 0; kk < BlockDepth; kk++)
            {
                int rowA = kk * BlockRows + ty;
                int rowB = kk * BlockCols + tx;
                float a0 = tileA[rowA + 0];
                float a1 = tileA[rowA + 16];
                float a2 = tileA[rowA + 32];
                float a3 = tileA[rowA + 48];
                float b0 = tileB[rowB + 0];
                float b1 = tileB[rowB + 16];
                float b2 = tileB[rowB + 32];
                float b3 = tileB[rowB + 48];
                s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
                s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
                s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
                s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
            }
            Group.Barrier();
        }

        long cBase = batch * p.StrideC;
        Store(c, cBase, blockRow0 + ty + 0, blockCol0 + tx + 0, s00, p);
        Store(c, cBase, blockRow0 + ty + 0, blockCol0 + tx + 16, s01, p);
        Store(c, cBase, blockRow0 + ty + 0, blockCol0 + tx + 32, s02, p);
        Store(c, cBase, blockRow0 + ty + 0, blockCol0 + tx + 48, s03, p);
        Store(c, cBase, blockRow0 + ty + 16, blockCol0 + tx + 0, s10, p);
        Store(c, cBase, blockRow0 + ty + 16, blockCol0 + tx + 16, s11, p);
        Store(c, cBase, blockRow0 + ty + 16, blockCol0 + tx + 32, s12, p);
        Store(c, cBase, blockRow0 + ty + 16, blockCol0 + tx + 48, s13, p);
        Store(c, cBase, blockRow0 + ty + 32, blockCol0 + tx + 0, s20, p);
        Store(c, cBase, blockRow0 + ty + 32, blockCol0 + tx + 16, s21, p);
        Store(c, cBase, blockRow0 + ty + 32, blockCol0 + tx + 32, s22, p);
        Store(c, cBase, blockRow0 + ty + 32, blockCol0 + tx + 48, s23, p);
        Store(c, cBase, blockRow0 + ty + 48, blockCol0 + tx + 0, s30, p);
        Store(c, cBase, blockRow0 + ty + 48, blockCol0 + tx + 16, s31, p);
        Store(c, cBase, blockRow0 + ty + 48, blockCol0 + tx + 32, s32, p);
        Store(c, cBase, blockRow0 + ty + 48, blockCol0 + tx + 48, s33, p);
    }

    /// <summary>Stages element <paramref name="e"/> of the A tile and of the B tile (zero past the edges).</summary>
    private static void LoadTiles<TA, TB>(ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> tileA, ArrayView<float> tileB, GemmParams p,
        long aBase, long bBase, int blockRow0, int blockCol0, int k0, int e)
        where TA : struct, IMatrixLayout
        where TB : struct, IMatrixLayout
    {
        // A tile: consecutive threads walk K, the contiguous axis of an untransposed A.
        int aRow = blockRow0 + e / BlockDepth;
        int aK = k0 + e % BlockDepth;
        // Indices are clamped so every load is in bounds even if the choice becomes a select.
        bool aInside = aRow < p.M && aK < p.K;
        float aValue = a[aBase + default(TA).Offset(aInside ? aRow : 0, aInside ? aK : 0, p.Lda)];
        tileA[(e % BlockDepth) * BlockRows + e / BlockDepth] = aInside ? aValue : 0f;

        // B tile: consecutive threads walk N, the contiguous axis of an untransposed B.
        int bK = k0 + e / BlockCols;
        int bCol = blockCol0 + e % BlockCols;
        bool bInside = bK < p.K && bCol < p.N;
        float bValue = b[bBase + default(TB).Offset(bInside ? bK : 0, bInside ? bCol : 0, p.Ldb)];
        tileB[e] = bInside ? bValue : 0f;
    }

    private static void Store(ArrayView<float> c, long cBase, int row, int col, float value, GemmParams p)
    {
        if (row >= p.M || col >= p.N)
            return;
        long at = cBase + (long)row * p.Ldc + col;
        // Beta == 0 must not read C: it may hold uninitialised memory (NaN * 0 is NaN).
        c[at] = p.Beta == 0f ? p.Alpha * value : p.Alpha * value + p.Beta * c[at];
    }
}
