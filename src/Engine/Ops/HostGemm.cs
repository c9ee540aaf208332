using System.Buffers;
using System.Numerics;
using Engine.Kernels.Blas;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Ops;

/// <summary>
/// The GEMM for ILGPU's CPU accelerator (see <see cref="HostPath"/>), run by the host with SIMD vectors: that accelerator
/// simulates work-items on OS threads (about 1-5 GFLOP/s for the register-tiled kernel), while its
/// buffers are plain host memory that the host's vector units can read directly. Register tiles of
/// 4 rows x 2 vectors of C accumulate over K with fused multiply-adds; op(B) is read in row panels
/// of <see cref="PanelColumns"/> columns that stay in cache for all rows (a transposed B is packed
/// into that layout first); panels of each batch entry run in parallel.
/// Same contract as the kernels: <c>C = alpha op(A) op(B) + beta C</c>, beta 0 means C is not read.
/// </summary>
internal static unsafe class HostGemm
{
    private const int PanelColumns = 256;
    private const int TileRows = 4;

    internal static void Run(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, bool transposeA, bool transposeB, GemmParams p)
    {
        float* pa = HostPath.Pointer(a);
        float* pb = HostPath.Pointer(b);
        float* pc = HostPath.Pointer(c);
        if (transposeB && !transposeA)
        {
            Dots(pa, pb, pc, p);
            return;
        }
        int panels = (p.N + PanelColumns - 1) / PanelColumns;
        // One work item per (batch entry, column panel); each packs or points at its panel of op(B).
        HostPath.For(p.Batch * panels, item =>
        {
            int batch = item / panels, j0 = item % panels * PanelColumns;
            int width = Math.Min(PanelColumns, p.N - j0);
            float* aMatrix = pa + batch * p.StrideA, bMatrix = pb + batch * p.StrideB, cMatrix = pc + batch * p.StrideC;
            float[]? rented = null;
            try
            {
                float* panel;
                int panelPitch;
                if (transposeB)
                {
                    rented = ArrayPool<float>.Shared.Rent(p.K * width);
                    for (int k = 0; k < p.K; k++)
                        for (int j = 0; j < width; j++)
                            rented[k * width + j] = bMatrix[(long)(j0 + j) * p.Ldb + k];
                    fixed (float* packed = rented)
                        Panel(aMatrix, packed, width, cMatrix + j0, width, transposeA, p);
                    return;
                }
                panel = bMatrix + j0;
                panelPitch = p.Ldb;
                Panel(aMatrix, panel, panelPitch, cMatrix + j0, width, transposeA, p);
            }
            finally
            {
                if (rented is not null)
                    ArrayPool<float>.Shared.Return(rented);
            }
        });
    }

    // op(A) = A [M, K] and op(B) = B^T with B stored [N, K]: both read along K, so each C[i, j] is a
    // dot product of two contiguous rows (the weight gradient dW = dY cols^T). Tiles of 2 rows of A
    // by 4 rows of B keep 8 vector sums; work items are (batch entry, block of 4 rows of B).
    private static void Dots(float* pa, float* pb, float* pc, GemmParams p)
    {
        int blocks = (p.N + 3) / 4;
        HostPath.For(p.Batch * blocks, item =>
        {
            int batch = item / blocks, j0 = item % blocks * 4;
            float* a = pa + batch * p.StrideA, b = pb + batch * p.StrideB, c = pc + batch * p.StrideC;
            int jn = Math.Min(4, p.N - j0);
            int i = 0;
            for (; i + 2 <= p.M && jn == 4; i += 2)
                Dot2x4(a + (long)i * p.Lda, p.Lda, b + (long)j0 * p.Ldb, p.Ldb, c + (long)i * p.Ldc + j0, p.Ldc, p.K, p.Alpha, p.Beta);
            for (; i < p.M; i++)
            {
                for (int j = j0; j < j0 + jn; j++)
                {
                    float sum = Dot(a + (long)i * p.Lda, b + (long)j * p.Ldb, p.K);
                    float* at = c + (long)i * p.Ldc + j;
                    *at = p.Beta == 0f ? p.Alpha * sum : p.Alpha * sum + p.Beta * *at;
                }
            }
        });
    }

    private static void Dot2x4(float* a, int lda, float* b, int ldb, float* c, int ldc, int k, float alpha, float beta)
    {
        int lanes = Vector<float>.Count;
        Vector<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        float* a1 = a + lda, b1 = b + ldb, b2 = b + 2L * ldb, b3 = b + 3L * ldb;
        int t = 0;
        for (; t + lanes <= k; t += lanes)
        {
            var x0 = Vector.Load(a + t);
            var x1 = Vector.Load(a1 + t);
            var y0 = Vector.Load(b + t);
            var y1 = Vector.Load(b1 + t);
            var y2 = Vector.Load(b2 + t);
            var y3 = Vector.Load(b3 + t);
            s00 = Vector.FusedMultiplyAdd(x0, y0, s00);
            s01 = Vector.FusedMultiplyAdd(x0, y1, s01);
            s02 = Vector.FusedMultiplyAdd(x0, y2, s02);
            s03 = Vector.FusedMultiplyAdd(x0, y3, s03);
            s10 = Vector.FusedMultiplyAdd(x1, y0, s10);
            s11 = Vector.FusedMultiplyAdd(x1, y1, s11);
            s12 = Vector.FusedMultiplyAdd(x1, y2, s12);
            s13 = Vector.FusedMultiplyAdd(x1, y3, s13);
        }
        Span<float> sums = stackalloc float[8];
        sums[0] = Vector.Sum(s00); sums[1] = Vector.Sum(s01); sums[2] = Vector.Sum(s02); sums[3] = Vector.Sum(s03);
        sums[4] = Vector.Sum(s10); sums[5] = Vector.Sum(s11); sums[6] = Vector.Sum(s12); sums[7] = Vector.Sum(s13);
        for (; t < k; t++)
        {
            for (int j = 0; j < 4; j++)
            {
                sums[j] = MathF.FusedMultiplyAdd(a[t], b[j * (long)ldb + t], sums[j]);
                sums[4 + j] = MathF.FusedMultiplyAdd(a1[t], b[j * (long)ldb + t], sums[4 + j]);
            }
        }
        for (int r = 0; r < 2; r++)
        {
            for (int j = 0; j < 4; j++)
            {
                float* at = c + (long)r * ldc + j;
                *at = beta == 0f ? alpha * sums[r * 4 + j] : alpha * sums[r * 4 + j] + beta * *at;
            }
        }
    }

    private static float Dot(float* a, float* b, int k)
    {
        int lanes = Vector<float>.Count;
        Vector<float> sum = default;
        int t = 0;
        for (; t + lanes <= k; t += lanes)
            sum = Vector.FusedMultiplyAdd(Vector.Load(a + t), Vector.Load(b + t), sum);
        float total = Vector.Sum(sum);
        for (; t < k; t++)
            total = MathF.FusedMultiplyAdd(a[t], b[t], total);
        return total;
    }

    // C[:, 0..width) of one panel: B rows are `bPitch` apart, C rows Ldc apart.
    private static void Panel(float* a, float* b, int bPitch, float* c, int width, bool transposeA, in GemmParams p)
    {
        int lanes = Vector<float>.Count;
        long rowStep = transposeA ? 1 : p.Lda, kStep = transposeA ? p.Lda : 1; // A[i, k] = a[i * rowStep + k * kStep]
        int i = 0;
        for (; i + TileRows <= p.M; i += TileRows)
        {
            int j = 0;
            for (; j + 2 * lanes <= width; j += 2 * lanes)
                Tile4x2(a + i * rowStep, rowStep, kStep, b + j, bPitch, c + (long)i * p.Ldc + j, p.Ldc, p.K, p.Alpha, p.Beta);
            for (; j < width; j++)
                for (int r = 0; r < TileRows; r++)
                    Scalar(a + (i + r) * rowStep, kStep, b + j, bPitch, c + (long)(i + r) * p.Ldc + j, p.K, p.Alpha, p.Beta);
        }
        for (; i < p.M; i++)
        {
            int j = 0;
            for (; j + lanes <= width; j += lanes)
                Row1(a + i * rowStep, kStep, b + j, bPitch, c + (long)i * p.Ldc + j, p.K, p.Alpha, p.Beta);
            for (; j < width; j++)
                Scalar(a + i * rowStep, kStep, b + j, bPitch, c + (long)i * p.Ldc + j, p.K, p.Alpha, p.Beta);
        }
    }

    private static void Tile4x2(float* a, long rowStep, long kStep, float* b, int bPitch, float* c, int ldc, int k, float alpha, float beta)
    {
        int lanes = Vector<float>.Count;
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        float* a0 = a, a1 = a + rowStep, a2 = a + 2 * rowStep, a3 = a + 3 * rowStep;
        for (int t = 0; t < k; t++)
        {
            float* bRow = b + (long)t * bPitch;
            var b0 = Vector.Load(bRow);
            var b1 = Vector.Load(bRow + lanes);
            long at = t * kStep;
            var x0 = new Vector<float>(a0[at]);
            var x1 = new Vector<float>(a1[at]);
            var x2 = new Vector<float>(a2[at]);
            var x3 = new Vector<float>(a3[at]);
            c00 = Vector.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector.FusedMultiplyAdd(x0, b1, c01);
            c10 = Vector.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector.FusedMultiplyAdd(x1, b1, c11);
            c20 = Vector.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector.FusedMultiplyAdd(x2, b1, c21);
            c30 = Vector.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector.FusedMultiplyAdd(x3, b1, c31);
        }
        Store(c, c00, alpha, beta);
        Store(c + lanes, c01, alpha, beta);
        Store(c + ldc, c10, alpha, beta);
        Store(c + ldc + lanes, c11, alpha, beta);
        Store(c + 2 * ldc, c20, alpha, beta);
        Store(c + 2 * ldc + lanes, c21, alpha, beta);
        Store(c + 3 * ldc, c30, alpha, beta);
        Store(c + 3 * ldc + lanes, c31, alpha, beta);
    }

    private static void Row1(float* a, long kStep, float* b, int bPitch, float* c, int k, float alpha, float beta)
    {
        Vector<float> sum = default;
        for (int t = 0; t < k; t++)
            sum = Vector.FusedMultiplyAdd(new Vector<float>(a[t * kStep]), Vector.Load(b + (long)t * bPitch), sum);
        Store(c, sum, alpha, beta);
    }

    private static void Scalar(float* a, long kStep, float* b, int bPitch, float* c, int k, float alpha, float beta)
    {
        float sum = 0f;
        for (int t = 0; t < k; t++)
            sum = MathF.FusedMultiplyAdd(a[t * kStep], b[(long)t * bPitch], sum);
        *c = beta == 0f ? alpha * sum : alpha * sum + beta * *c;
    }

    private static void Store(float* c, Vector<float> sum, float alpha, float beta)
    {
        var result = sum * alpha;
        if (beta != 0f)
            result += Vector.Load(c) * beta;
        result.Store(c);
    }
}
