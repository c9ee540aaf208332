using System.Buffers;
using System.Numerics;
using Engine.Kernels.Blas;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Ops;

/// <summary>
/// The GEMM for ILGPU's CPU accelerator, run by the host with SIMD vectors: that accelerator
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
        float* pa = Address(a);
        float* pb = Address(b);
        float* pc = Address(c);
        int panels = (p.N + PanelColumns - 1) / PanelColumns;
        // One work item per (batch entry, column panel); each packs or points at its panel of op(B).
        Parallel.For(0, p.Batch * panels, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, item =>
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

    // The CPU accelerator's buffers live in host memory, so a view's effective address is a host pointer.
    private static float* Address(ArrayView<float> view) => (float*)view.LoadEffectiveAddressAsPtr();

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
