using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// GEMM with an 8x4 register tile per work-item and no shared memory: the shape that runs best
/// where work-items are vectorised by a compiler (PoCL) or simulated on OS threads (ILGPU's CPU
/// accelerator). Adjacent work-items own adjacent column tiles, so their B loads are adjacent
/// and their A loads are the same (a broadcast).
/// </summary>
/// <remarks>
/// ILGPU 1.5.3 does not unroll loops (issue #1353), so the 32 accumulators are written out.
/// Rows and columns past the edge are clamped for loading and skipped for storing, which keeps
/// the inner loop free of branches for any M, N, K.
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
    public static void Gemm8x4<TA, TB>(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
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

        int r0 = IntrinsicMath.Min(row0 + 0, lastRow);
        int r1 = IntrinsicMath.Min(row0 + 1, lastRow);
        int r2 = IntrinsicMath.Min(row0 + 2, lastRow);
        int r3 = IntrinsicMath.Min(row0 + 3, lastRow);
        int r4 = IntrinsicMath.Min(row0 + 4, lastRow);
        int r5 = IntrinsicMath.Min(row0 + 5, lastRow);
        int r6 = IntrinsicMath.Min(row0 + 6, lastRow);
        int r7 = IntrinsicMath.Min(row0 + 7, lastRow);
        int c0 = IntrinsicMath.Min(col0 + 0, lastCol);
        int c1 = IntrinsicMath.Min(col0 + 1, lastCol);
        int c2 = IntrinsicMath.Min(col0 + 2, lastCol);
        int c3 = IntrinsicMath.Min(col0 + 3, lastCol);

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
            float a0 = a[aBase + ta.Offset(r0, k, p.Lda)];
            float a1 = a[aBase + ta.Offset(r1, k, p.Lda)];
            float a2 = a[aBase + ta.Offset(r2, k, p.Lda)];
            float a3 = a[aBase + ta.Offset(r3, k, p.Lda)];
            float a4 = a[aBase + ta.Offset(r4, k, p.Lda)];
            float a5 = a[aBase + ta.Offset(r5, k, p.Lda)];
            float a6 = a[aBase + ta.Offset(r6, k, p.Lda)];
            float a7 = a[aBase + ta.Offset(r7, k, p.Lda)];
            float b0 = b[bBase + tb.Offset(k, c0, p.Ldb)];
            float b1 = b[bBase + tb.Offset(k, c1, p.Ldb)];
            float b2 = b[bBase + tb.Offset(k, c2, p.Ldb)];
            float b3 = b[bBase + tb.Offset(k, c3, p.Ldb)];
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
        StoreRow(c, cBase, row0 + 0, col0, p, s00, s01, s02, s03);
        StoreRow(c, cBase, row0 + 1, col0, p, s10, s11, s12, s13);
        StoreRow(c, cBase, row0 + 2, col0, p, s20, s21, s22, s23);
        StoreRow(c, cBase, row0 + 3, col0, p, s30, s31, s32, s33);
        StoreRow(c, cBase, row0 + 4, col0, p, s40, s41, s42, s43);
        StoreRow(c, cBase, row0 + 5, col0, p, s50, s51, s52, s53);
        StoreRow(c, cBase, row0 + 6, col0, p, s60, s61, s62, s63);
        StoreRow(c, cBase, row0 + 7, col0, p, s70, s71, s72, s73);
    }

    /// <summary>Writes up to four values of one C row, skipping those past the edge.</summary>
    private static void StoreRow(ArrayView<float> c, long cBase, int row, int col0, GemmParams p,
        float v0, float v1, float v2, float v3)
    {
        if (row >= p.M)
            return;
        long rowBase = cBase + (long)row * p.Ldc + col0;
        Store(c, rowBase, col0 + 0 < p.N, v0, p);
        Store(c, rowBase + 1, col0 + 1 < p.N, v1, p);
        Store(c, rowBase + 2, col0 + 2 < p.N, v2, p);
        Store(c, rowBase + 3, col0 + 3 < p.N, v3, p);
    }

    private static void Store(ArrayView<float> c, long at, bool inside, float value, GemmParams p)
    {
        if (!inside)
            return;
        // Beta == 0 must not read C: it may hold uninitialised memory (NaN * 0 is NaN).
        c[at] = p.Beta == 0f ? p.Alpha * value : p.Alpha * value + p.Beta * c[at];
    }
}
