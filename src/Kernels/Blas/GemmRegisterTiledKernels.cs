using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// GEMM with a 8x4 register tile per work-item and no shared memory: the shape that runs best
/// where work-items are vectorised by a compiler (PoCL) or simulated on OS threads (ILGPU's CPU
/// accelerator). Adjacent work-items own adjacent column tiles, so their B loads are adjacent
/// and their A loads are the same (a broadcast).
/// </summary>
/// <remarks>
/// ILGPU 1.5.3 does not unroll loops (issue #1353), so the 32 accumulators are written out.
/// Rows and columns past the edge are clamped for loading and skipped for storing, which keeps
/// the inner loop free of branches for any M, N, K. Each operand row's start is computed once;
/// the loop only adds <c>k</c> times the operand's step along K.
/// </remarks>
public static class GemmRegisterTiledKernels
{
    /// <summary>Rows of C computed by one work-item.</summary>
    public const int TileRows = 8;

    /// <summary>Columns of C computed by one work-item.</summary>
    public const int TileCols = 4;

    /// <summary>
    /// One work-item per 8x4 tile of one batch entry: index = (batch * tilesM + tileRow) * tilesN + tileCol.
    /// </summary>
    /// <param name="index">Tile index; launch <c>Batch * ceil(M/8) * ceil(N/4)</c> work-items.</param>
    /// <param name="a">A matrices, op(A) is [M, K] per batch entry.</param>
    /// <param name="b">B matrices, op(B) is [K, N] per batch entry.</param>
    /// <param name="c">C matrices, [M, N] with pitch Ldc per batch entry.</param>
    /// <param name="p">Shapes, pitches, strides and scales.</param>
    [Loader("GemmRegisterTiled")]
    public static void Gemm<TA, TB>(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
        where TA : struct, IMatrixLayout
        where TB : struct, IMatrixLayout
    {
        int tilesN = (p.N + TileCols - 1) / TileCols;
        int tilesM = (p.M + TileRows - 1) / TileRows;
        int tileCol = index % tilesN;
        int rest = index / tilesN;
        int tileRow = rest % tilesM;
        int batch = rest / tilesM;
        int row0 = tileRow * TileRows;
        int col0 = tileCol * TileCols;

        var ta = default(TA);
        var tb = default(TB);
        long aBase = batch * p.StrideA;
        long bBase = batch * p.StrideB;
        int lastRow = p.M - 1;
        int lastCol = p.N - 1;
        // Distance between op(A)[i, k] and op(A)[i, k + 1], and between op(B)[k, j] and op(B)[k + 1, j].
        int stepA = ta.Offset(0, 1, p.Lda);
        int stepB = tb.Offset(1, 0, p.Ldb);

        long a0At = aBase + ta.Offset(IntrinsicMath.Min(row0 + 0, lastRow), 0, p.Lda);
        long a1At = aBase + ta.Offset(IntrinsicMath.Min(row0 + 1, lastRow), 0, p.Lda);
        long a2At = aBase + ta.Offset(IntrinsicMath.Min(row0 + 2, lastRow), 0, p.Lda);
        long a3At = aBase + ta.Offset(IntrinsicMath.Min(row0 + 3, lastRow), 0, p.Lda);
        long a4At = aBase + ta.Offset(IntrinsicMath.Min(row0 + 4, lastRow), 0, p.Lda);
        long a5At = aBase + ta.Offset(IntrinsicMath.Min(row0 + 5, lastRow), 0, p.Lda);
        long a6At = aBase + ta.Offset(IntrinsicMath.Min(row0 + 6, lastRow), 0, p.Lda);
        long a7At = aBase + ta.Offset(IntrinsicMath.Min(row0 + 7, lastRow), 0, p.Lda);
        long b0At = bBase + tb.Offset(0, IntrinsicMath.Min(col0 + 0, lastCol), p.Ldb);
        long b1At = bBase + tb.Offset(0, IntrinsicMath.Min(col0 + 1, lastCol), p.Ldb);
        long b2At = bBase + tb.Offset(0, IntrinsicMath.Min(col0 + 2, lastCol), p.Ldb);
        long b3At = bBase + tb.Offset(0, IntrinsicMath.Min(col0 + 3, lastCol), p.Ldb);

        float s00 = 0f; float s01 = 0f; float s02 = 0f; float s03 = 0f;
        float s10 = 0f; float s11 = 0f; float s12 = 0f; float s13 = 0f;
        float s20 = 0f; float s21 = 0f; float s22 = 0f; float s23 = 0f;
        float s30 = 0f; float s31 = 0f; float s32 = 0f; float s33 = 0f;
        float s40 = 0f; float s41 = 0f; float s42 = 0f; float s43 = 0f;
        float s50 = 0f; float s51 = 0f; float s52 = 0f; float s53 = 0f;
        float s60 = 0f; float s61 = 0f; float s62 = 0f; float s63 = 0f;
        float s70 = 0f; float s71 = 0f; float s72 = 0f; float s73 = 0f;

        for (int k = 0; k < p.K; k++)
        {
            long ka = (long)k * stepA;
            long kb = (long)k * stepB;
            float a0 = a[a0At + ka];
            float a1 = a[a1At + ka];
            float a2 = a[a2At + ka];
            float a3 = a[a3At + ka];
            float a4 = a[a4At + ka];
            float a5 = a[a5At + ka];
            float a6 = a[a6At + ka];
            float a7 = a[a7At + ka];
            float b0 = b[b0At + kb];
            float b1 = b[b1At + kb];
            float b2 = b[b2At + kb];
            float b3 = b[b3At + kb];
            s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
            s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
            s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
            s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
            s40 += a4 * b0; s41 += a4 * b1; s42 += a4 * b2; s43 += a4 * b3;
            s50 += a5 * b0; s51 += a5 * b1; s52 += a5 * b2; s53 += a5 * b3;
            s60 += a6 * b0; s61 += a6 * b1; s62 += a6 * b2; s63 += a6 * b3;
            s70 += a7 * b0; s71 += a7 * b1; s72 += a7 * b2; s73 += a7 * b3;
        }

        long cBase = batch * p.StrideC;
        if (row0 + 0 < p.M)
        {
            long rowAt = cBase + (long)(row0 + 0) * p.Ldc + col0;
            Store(c, rowAt + 0, col0 + 0 < p.N, s00, p);
            Store(c, rowAt + 1, col0 + 1 < p.N, s01, p);
            Store(c, rowAt + 2, col0 + 2 < p.N, s02, p);
            Store(c, rowAt + 3, col0 + 3 < p.N, s03, p);
        }
        if (row0 + 1 < p.M)
        {
            long rowAt = cBase + (long)(row0 + 1) * p.Ldc + col0;
            Store(c, rowAt + 0, col0 + 0 < p.N, s10, p);
            Store(c, rowAt + 1, col0 + 1 < p.N, s11, p);
            Store(c, rowAt + 2, col0 + 2 < p.N, s12, p);
            Store(c, rowAt + 3, col0 + 3 < p.N, s13, p);
        }
        if (row0 + 2 < p.M)
        {
            long rowAt = cBase + (long)(row0 + 2) * p.Ldc + col0;
            Store(c, rowAt + 0, col0 + 0 < p.N, s20, p);
            Store(c, rowAt + 1, col0 + 1 < p.N, s21, p);
            Store(c, rowAt + 2, col0 + 2 < p.N, s22, p);
            Store(c, rowAt + 3, col0 + 3 < p.N, s23, p);
        }
        if (row0 + 3 < p.M)
        {
            long rowAt = cBase + (long)(row0 + 3) * p.Ldc + col0;
            Store(c, rowAt + 0, col0 + 0 < p.N, s30, p);
            Store(c, rowAt + 1, col0 + 1 < p.N, s31, p);
            Store(c, rowAt + 2, col0 + 2 < p.N, s32, p);
            Store(c, rowAt + 3, col0 + 3 < p.N, s33, p);
        }
        if (row0 + 4 < p.M)
        {
            long rowAt = cBase + (long)(row0 + 4) * p.Ldc + col0;
            Store(c, rowAt + 0, col0 + 0 < p.N, s40, p);
            Store(c, rowAt + 1, col0 + 1 < p.N, s41, p);
            Store(c, rowAt + 2, col0 + 2 < p.N, s42, p);
            Store(c, rowAt + 3, col0 + 3 < p.N, s43, p);
        }
        if (row0 + 5 < p.M)
        {
            long rowAt = cBase + (long)(row0 + 5) * p.Ldc + col0;
            Store(c, rowAt + 0, col0 + 0 < p.N, s50, p);
            Store(c, rowAt + 1, col0 + 1 < p.N, s51, p);
            Store(c, rowAt + 2, col0 + 2 < p.N, s52, p);
            Store(c, rowAt + 3, col0 + 3 < p.N, s53, p);
        }
        if (row0 + 6 < p.M)
        {
            long rowAt = cBase + (long)(row0 + 6) * p.Ldc + col0;
            Store(c, rowAt + 0, col0 + 0 < p.N, s60, p);
            Store(c, rowAt + 1, col0 + 1 < p.N, s61, p);
            Store(c, rowAt + 2, col0 + 2 < p.N, s62, p);
            Store(c, rowAt + 3, col0 + 3 < p.N, s63, p);
        }
        if (row0 + 7 < p.M)
        {
            long rowAt = cBase + (long)(row0 + 7) * p.Ldc + col0;
            Store(c, rowAt + 0, col0 + 0 < p.N, s70, p);
            Store(c, rowAt + 1, col0 + 1 < p.N, s71, p);
            Store(c, rowAt + 2, col0 + 2 < p.N, s72, p);
            Store(c, rowAt + 3, col0 + 3 < p.N, s73, p);
        }
    }

    private static void Store(ArrayView<float> c, long at, bool inside, float value, GemmParams p)
    {
        if (!inside)
            return;
        // Beta == 0 must not read C: it may hold uninitialised memory (NaN * 0 is NaN).
        c[at] = p.Beta == 0f ? p.Alpha * value : p.Alpha * value + p.Beta * c[at];
    }
}
