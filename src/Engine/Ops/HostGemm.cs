using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Engine.Devices;
using Engine.Kernels.Blas;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Ops;

/// <summary>
/// The GEMM for ILGPU's CPU accelerator (see <see cref="HostPath"/>), run by the host's vector
/// units on the accelerator's buffers (host memory), the way BLIS and oneDNN do it: op(A) and op(B)
/// are packed into contiguous panels (transposes and strides vanish there), a register micro-kernel
/// keeps an <see cref="MR"/> x <see cref="NR"/> tile of C in vector registers (sixteen 512-bit ones
/// where the machine has them, else twelve 256-bit ones) and runs fused multiply-adds over a <see cref="KC"/>-long
/// block of K whose panels stay in the L1 and L2 caches. Work items are (batch entry, row block,
/// column block); each computes its tile of C alone and in a fixed order (K block by K block,
/// k ascending within one), so results are the same bits on every run and for any number of threads.
/// Same contract as the kernels: <c>C = alpha op(A) op(B) + beta C</c>, beta 0 means C is not read.
/// A segmented K (<see cref="RunSegmented"/>) sums products over several images in one GEMM.
/// The hot methods skip tiered compilation (AggressiveOptimization): a step's first calls would
/// otherwise run unoptimised code, at a tenth of the speed.
/// </summary>
internal static unsafe class HostGemm
{
    /// <summary>
    /// Rows of the register tile: 8 with 512-bit vectors (16 accumulators of the 32 registers);
    /// 6 with 256-bit ones, whose 16 registers hold 12 accumulators, B's two vectors and A's
    /// broadcast (an 8-row tile needs 19 and spills inside the loop).
    /// </summary>
    private static readonly int MR = Vector512.IsHardwareAccelerated ? 8 : 6;

    /// <summary>Depth of a K block: a packed B strip of KC x NR floats (32 KiB with 512-bit vectors) stays in L1.</summary>
    private const int KC = 256;

    /// <summary>Rows of a packed A block (about 128 KiB at KC = 256: L2), a multiple of <see cref="MR"/>.</summary>
    private static readonly int MC = Vector512.IsHardwareAccelerated ? 128 : 120;

    /// <summary>
    /// Most rows of a GEMM whose K <see cref="KSlices"/> may split: a constant, not <see cref="MC"/>,
    /// so that how an element is summed does not depend on the machine's vector width.
    /// </summary>
    private const int SlicedRowsMost = 128;

    /// <summary>Columns of a packed B block (256 KiB: L2).</summary>
    private const int NC = 256;

    /// <summary>Columns of the register tile: two vectors.</summary>
    private static readonly int NR = Vector512.IsHardwareAccelerated ? 32 : 16;

    /// <summary><c>C = alpha op(A) op(B) + beta C</c> for every batch entry.</summary>
    internal static void Run(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, bool transposeA, bool transposeB, GemmParams p) =>
        Execute(HostPath.Pointer(a), HostPath.Pointer(b), HostPath.Pointer(c), transposeA, transposeB, p, new Segments(p.K, 0, 0));

    /// <summary>
    /// One GEMM whose K runs through <paramref name="segments"/> pieces of <paramref name="segmentLength"/>:
    /// k = s * length + t reads op(A) at <c>s * segmentStrideA</c> plus column t, op(B) at <c>s * segmentStrideB</c>
    /// plus row t. A convolution's weight gradient over a batch, <c>dW = sum_n dY[n] cols[n]^T</c>, is one such GEMM.
    /// </summary>
    internal static void RunSegmented(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, bool transposeA, bool transposeB,
        int m, int n, int segmentLength, int segments, int lda, int ldb, int ldc, long segmentStrideA, long segmentStrideB, float alpha, float beta)
    {
        var p = new GemmParams(m, n, checked(segmentLength * segments), lda, ldb, ldc, 0, 0, 0, 1, alpha, beta);
        Execute(HostPath.Pointer(a), HostPath.Pointer(b), HostPath.Pointer(c), transposeA, transposeB, p, new Segments(segmentLength, segmentStrideA, segmentStrideB));
    }

    /// <summary>How K is laid out: pieces of <see cref="Length"/>, the next piece <see cref="StrideA"/> / <see cref="StrideB"/> further on.</summary>
    private readonly record struct Segments(int Length, long StrideA, long StrideB);

    /// <summary>
    /// Fills <paramref name="packed"/> with op(B)[k0 .. k0+kc, j0 .. j0+nc] in <see cref="PackB"/>'s layout
    /// (strips of <paramref name="nr"/> columns, k-major, columns past nc zero) from a B that is never
    /// stored: a convolution's column matrix read straight from its input (<c>HostConvolution</c>).
    /// Called from several threads at once, each with its own <paramref name="packed"/>.
    /// </summary>
    internal delegate void BPacker(int j0, int nc, int k0, int kc, float* packed, int nr);

    /// <summary>
    /// <c>C = alpha A B + beta C</c>, A <c>[M, K]</c> row-major (rows <paramref name="lda"/> apart), B
    /// <c>[K, N]</c> produced panel by panel by <paramref name="packB"/>: the packed GEMM without B in
    /// memory. The same blocks, tiles and summation order as <see cref="Run"/> on a stored B, so the
    /// results are the same bits.
    /// </summary>
    internal static void RunPacked(ArrayView<float> a, BPacker packB, ArrayView<float> c, int m, int n, int k, int lda, int ldc, float alpha, float beta)
    {
        var p = new GemmParams(m, n, k, lda, n, ldc, 0, 0, 0, 1, alpha, beta);
        Execute(HostPath.Pointer(a), null, HostPath.Pointer(c), false, false, p, new Segments(k, 0, 0), packB);
    }

    private static void Execute(float* pa, float* pb, float* pc, bool transposeA, bool transposeB, GemmParams p, Segments segments, BPacker? packB = null)
    {
        if (p.M == 0 || p.N == 0)
            return;
        if (packB is null && !transposeA && transposeB && segments.Length == p.K && p.K >= DotMinK)
        {
            for (int batch = 0; batch < p.Batch; batch++)
                Dots(pa + batch * p.StrideA, pb + batch * p.StrideB, pc + batch * p.StrideC, p);
            return;
        }
        int rowBlocks = (p.M + MC - 1) / MC, columnBlocks = (p.N + NC - 1) / NC;
        int blocks = rowBlocks * columnBlocks, items = p.Batch * blocks;
        int slices = KSlices(p.M, p.K);
        if (slices > 1)
        {
            SlicedK(pa, pb, pc, transposeA, transposeB, p, segments, rowBlocks, columnBlocks, slices, packB);
            return;
        }
        // One op(A) for every column block (and every batch entry when it is shared): pack it once, in
        // parallel, instead of once per column block.
        bool sharedA = columnBlocks > 1 && (p.Batch == 1 || p.StrideA == 0);
        int kBlocks = (p.K + KC - 1) / KC;
        long packedSize = sharedA ? (long)kBlocks * rowBlocks * MC * KC : 0;
        float* packedA = sharedA ? SharedPanel.Take(packedSize) : null;
        try
        {
            if (sharedA)
            {
                HostPath.For(kBlocks * rowBlocks, index =>
                {
                    int kb = index / rowBlocks, rb = index % rowBlocks;
                    int i0 = rb * MC, k0 = kb * KC;
                    PackA(pa, transposeA, p.Lda, segments.Length, segments.StrideA, i0, Math.Min(MC, p.M - i0), k0, Math.Min(KC, p.K - k0),
                        packedA + (long)index * MC * KC);
                });
            }
            // With enough column blocks to share out, an item takes a column block whole, so its packed
            // B serves every row block; otherwise items are (row block, column block) pairs.
            bool wholeColumns = (long)p.Batch * columnBlocks >= 2 * Environment.ProcessorCount;
            int rowsPerItem = wholeColumns ? rowBlocks : 1;
            items = p.Batch * columnBlocks * (rowBlocks / rowsPerItem);
            Action<int> item = index =>
            {
                int perBatch = columnBlocks * (rowBlocks / rowsPerItem);
                int batch = index / perBatch, rest = index % perBatch;
                int i0 = rest / columnBlocks * MC * rowsPerItem, j0 = rest % columnBlocks * NC;
                Block(pa + batch * p.StrideA, pb + batch * p.StrideB, pc + batch * p.StrideC, p.Ldc, i0, Math.Min(MC * rowsPerItem, p.M - i0), j0, Math.Min(NC, p.N - j0),
                    0, p.K, transposeA, transposeB, p, segments, p.Alpha, p.Beta, packedA, rowBlocks, packB);
            };
            if (items == 1 || (long)p.M * p.N * p.K * p.Batch < 1 << 15)
            {
                for (int i = 0; i < items; i++)
                    item(i);
            }
            else
            {
                HostPath.For(items, item);
            }
        }
        finally
        {
            if (packedA is not null)
                SharedPanel.Return(packedA);
        }
    }

    /// <summary>
    /// Shortest K for which <c>A B^T</c> runs as dot products (<see cref="Dots"/>) rather than packed:
    /// a weight gradient sums over every pixel of a batch, and its long-K operand would not pay back
    /// packing. Chosen by K alone, as <see cref="KSlices"/> is by M and K alone: how an element of C is
    /// summed never depends on N, so an image's outputs do not depend on how many share its batch.
    /// </summary>
    private const int DotMinK = 4096;

    /// <summary>Depth of one pass of <see cref="Dots"/>: A's rows and 16 of B's of this many floats stay in L2.</summary>
    private const int DotChunk = 1024;

    /// <summary>
    /// <c>C = alpha A B^T + beta C</c> with A <c>[M, K]</c> and B <c>[N, K]</c> both read along K (no
    /// packing): tiles of 4 rows of A by 4 rows of B keep sixteen vector sums, in passes of
    /// <see cref="DotChunk"/> along K whose sums add to the tile's, pass by pass, in order. Each C
    /// element is summed the same way whatever the thread count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots(float* a, float* b, float* c, GemmParams p)
    {
        // Items are groups of 16 columns of C (16 rows of B), each for every row of A: per pass along
        // K, the item's rows of B and all of A's stay in L2 while every tile pairing reads them.
        const int GroupColumns = 16;
        int rowTiles = (p.M + 3) / 4, groups = (p.N + GroupColumns - 1) / GroupColumns;
        HostPath.For(groups, group =>
        {
            int j0 = group * GroupColumns, width = Math.Min(GroupColumns, p.N - j0);
            int columnTiles = (width + 3) / 4;
            float[] sums = new float[rowTiles * columnTiles * 16];
            for (int k0 = 0; k0 < p.K; k0 += DotChunk)
            {
                int kc = Math.Min(DotChunk, p.K - k0);
                for (int rt = 0; rt < rowTiles; rt++)
                {
                    int i0 = rt * 4, rows = Math.Min(4, p.M - i0);
                    for (int ct = 0; ct < columnTiles; ct++)
                    {
                        int jt = j0 + ct * 4, columns = Math.Min(4, p.N - jt);
                        DotTile(a + (long)i0 * p.Lda + k0, p.Lda, rows, b + (long)jt * p.Ldb + k0, p.Ldb, columns, kc,
                            sums.AsSpan((rt * columnTiles + ct) * 16, 16));
                    }
                }
            }
            for (int rt = 0; rt < rowTiles; rt++)
            {
                for (int ct = 0; ct < columnTiles; ct++)
                {
                    int i0 = rt * 4, jt = j0 + ct * 4;
                    for (int r = 0; r < Math.Min(4, p.M - i0); r++)
                    {
                        for (int j = 0; j < Math.Min(4, p.N - jt); j++)
                        {
                            float* at = c + (long)(i0 + r) * p.Ldc + jt + j;
                            float product = p.Alpha * sums[(rt * columnTiles + ct) * 16 + r * 4 + j];
                            *at = p.Beta == 0f ? product : product + p.Beta * *at;
                        }
                    }
                }
            }
        });
    }

    // sums[r * 4 + j] += a[r] . b[j] over kc for up to 4 x 4 rows (missing rows read row 0 and are dropped).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotTile(float* a, int lda, int rows, float* b, int ldb, int columns, int kc, Span<float> sums)
    {
        float* a0 = a, a1 = a + (rows > 1 ? lda : 0), a2 = a + (rows > 2 ? 2L * lda : 0), a3 = a + (rows > 3 ? 3L * lda : 0);
        float* b0 = b, b1 = b + (columns > 1 ? ldb : 0), b2 = b + (columns > 2 ? 2L * ldb : 0), b3 = b + (columns > 3 ? 3L * ldb : 0);
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
            Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
            for (; k + 16 <= kc; k += 16)
            {
                var x0 = Vector512.Load(a0 + k);
                var x1 = Vector512.Load(a1 + k);
                var x2 = Vector512.Load(a2 + k);
                var x3 = Vector512.Load(a3 + k);
                var y = Vector512.Load(b0 + k);
                s00 = Vector512.FusedMultiplyAdd(x0, y, s00); s10 = Vector512.FusedMultiplyAdd(x1, y, s10);
                s20 = Vector512.FusedMultiplyAdd(x2, y, s20); s30 = Vector512.FusedMultiplyAdd(x3, y, s30);
                y = Vector512.Load(b1 + k);
                s01 = Vector512.FusedMultiplyAdd(x0, y, s01); s11 = Vector512.FusedMultiplyAdd(x1, y, s11);
                s21 = Vector512.FusedMultiplyAdd(x2, y, s21); s31 = Vector512.FusedMultiplyAdd(x3, y, s31);
                y = Vector512.Load(b2 + k);
                s02 = Vector512.FusedMultiplyAdd(x0, y, s02); s12 = Vector512.FusedMultiplyAdd(x1, y, s12);
                s22 = Vector512.FusedMultiplyAdd(x2, y, s22); s32 = Vector512.FusedMultiplyAdd(x3, y, s32);
                y = Vector512.Load(b3 + k);
                s03 = Vector512.FusedMultiplyAdd(x0, y, s03); s13 = Vector512.FusedMultiplyAdd(x1, y, s13);
                s23 = Vector512.FusedMultiplyAdd(x2, y, s23); s33 = Vector512.FusedMultiplyAdd(x3, y, s33);
            }
            sums[0] += Vector512.Sum(s00); sums[1] += Vector512.Sum(s01); sums[2] += Vector512.Sum(s02); sums[3] += Vector512.Sum(s03);
            sums[4] += Vector512.Sum(s10); sums[5] += Vector512.Sum(s11); sums[6] += Vector512.Sum(s12); sums[7] += Vector512.Sum(s13);
            sums[8] += Vector512.Sum(s20); sums[9] += Vector512.Sum(s21); sums[10] += Vector512.Sum(s22); sums[11] += Vector512.Sum(s23);
            sums[12] += Vector512.Sum(s30); sums[13] += Vector512.Sum(s31); sums[14] += Vector512.Sum(s32); sums[15] += Vector512.Sum(s33);
        }
        else
        {
            // Sixteen 256-bit sums, A's four vectors and B's would be 21 live vectors for sixteen
            // registers (the loop would spill): two passes of 4 x 2 (13 live), each sum the same.
            DotPairs256(a0, a1, a2, a3, b0, b1, kc, sums, 0);
            DotPairs256(a0, a1, a2, a3, b2, b3, kc, sums, 2);
            k = kc & ~7;
        }
        for (; k < kc; k++)
        {
            float x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
            float y0 = b0[k], y1 = b1[k], y2 = b2[k], y3 = b3[k];
            sums[0] += x0 * y0; sums[1] += x0 * y1; sums[2] += x0 * y2; sums[3] += x0 * y3;
            sums[4] += x1 * y0; sums[5] += x1 * y1; sums[6] += x1 * y2; sums[7] += x1 * y3;
            sums[8] += x2 * y0; sums[9] += x2 * y1; sums[10] += x2 * y2; sums[11] += x2 * y3;
            sums[12] += x3 * y0; sums[13] += x3 * y1; sums[14] += x3 * y2; sums[15] += x3 * y3;
        }
    }

    // sums[r * 4 + column + j] += a[r] . b[j] for 4 rows of A and 2 of B over the first kc & ~7 values.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotPairs256(float* a0, float* a1, float* a2, float* a3, float* b0, float* b1, int kc, Span<float> sums, int column)
    {
        Vector256<float> s00 = default, s01 = default, s10 = default, s11 = default;
        Vector256<float> s20 = default, s21 = default, s30 = default, s31 = default;
        for (int k = 0; k + 8 <= kc; k += 8)
        {
            var x0 = Vector256.Load(a0 + k);
            var x1 = Vector256.Load(a1 + k);
            var x2 = Vector256.Load(a2 + k);
            var x3 = Vector256.Load(a3 + k);
            var y = Vector256.Load(b0 + k);
            s00 = Vector256.FusedMultiplyAdd(x0, y, s00); s10 = Vector256.FusedMultiplyAdd(x1, y, s10);
            s20 = Vector256.FusedMultiplyAdd(x2, y, s20); s30 = Vector256.FusedMultiplyAdd(x3, y, s30);
            y = Vector256.Load(b1 + k);
            s01 = Vector256.FusedMultiplyAdd(x0, y, s01); s11 = Vector256.FusedMultiplyAdd(x1, y, s11);
            s21 = Vector256.FusedMultiplyAdd(x2, y, s21); s31 = Vector256.FusedMultiplyAdd(x3, y, s31);
        }
        sums[column] += Vector256.Sum(s00); sums[column + 1] += Vector256.Sum(s01);
        sums[4 + column] += Vector256.Sum(s10); sums[5 + column] += Vector256.Sum(s11);
        sums[8 + column] += Vector256.Sum(s20); sums[9 + column] += Vector256.Sum(s21);
        sums[12 + column] += Vector256.Sum(s30); sums[13 + column] += Vector256.Sum(s31);
    }

    /// <summary>
    /// Into how many slices to split K: a GEMM with few rows and a long K has too few tiles to keep
    /// the cores busy. Decided by M and K alone, never by N (see <see cref="DotMinK"/>) nor by the
    /// machine's core count, so the summation order (and the bits) are the same everywhere.
    /// </summary>
    private static int KSlices(int m, int k) => m > SlicedRowsMost || k < 8 * KC ? 1 : Math.Min(16, k / (4 * KC));

    /// <summary>
    /// K split into <paramref name="slices"/> ranges (whole KC blocks) computed in parallel into
    /// partial products, then summed in slice order: <c>C = alpha (P_0 + P_1 + ...) + beta C</c>.
    /// </summary>
    private static void SlicedK(float* pa, float* pb, float* pc, bool transposeA, bool transposeB, GemmParams p, Segments segments,
        int rowBlocks, int columnBlocks, int slices, BPacker? packB)
    {
        int blocks = rowBlocks * columnBlocks;
        int kBlocks = (p.K + KC - 1) / KC;
        long size = (long)p.M * p.N;
        float[] partials = System.Buffers.ArrayPool<float>.Shared.Rent(checked((int)(size * slices)));
        try
        {
            fixed (float* partial = partials)
            {
                float* scratch = partial;
                for (int batch = 0; batch < p.Batch; batch++)
                {
                    float* a = pa + batch * p.StrideA, b = pb + batch * p.StrideB, c = pc + batch * p.StrideC;
                    HostPath.For(blocks * slices, index =>
                    {
                        int slice = index / blocks, rest = index % blocks;
                        int i0 = rest / columnBlocks * MC, j0 = rest % columnBlocks * NC;
                        int kBegin = (int)((long)kBlocks * slice / slices) * KC, kEnd = Math.Min(p.K, (int)((long)kBlocks * (slice + 1) / slices) * KC);
                        Block(a, b, scratch + slice * size, p.N, i0, Math.Min(MC, p.M - i0), j0, Math.Min(NC, p.N - j0),
                            kBegin, kEnd, transposeA, transposeB, p, segments, 1f, 0f, packB: packB);
                    });
                    HostPath.Chunks(size, 1 << 14, (start, count) =>
                    {
                        for (long e = start; e < start + count; e++)
                        {
                            long i = e / p.N, j = e % p.N;
                            float sum = scratch[e];
                            for (int slice = 1; slice < slices; slice++)
                                sum += scratch[slice * size + e];
                            float* at = c + i * p.Ldc + j;
                            *at = p.Beta == 0f ? p.Alpha * sum : p.Alpha * sum + p.Beta * *at;
                        }
                    });
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(partials);
        }
    }

    // C[i0 .. i0+mc, j0 .. j0+nc] (rows ldc apart) of one matrix over k in [kBegin, kEnd), K block by K block:
    // the first block scales by alpha and applies firstBeta, later ones add. mc may span several row
    // blocks of MC (i0 a multiple of MC): each K block's packed B then serves all of them.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(float* a, float* b, float* c, int ldc, int i0, int mc, int j0, int nc, int kBegin, int kEnd,
        bool transposeA, bool transposeB, in GemmParams p, Segments segments, float alpha, float firstBeta, float* packedA = null, int rowBlocks = 0,
        BPacker? packB = null)
    {
        var buffers = PackBuffers.ForThisThread(NR);
        int nr = NR;
        for (int k0 = kBegin; k0 < kEnd; k0 += KC)
        {
            int kc = Math.Min(KC, kEnd - k0);
            if (packB is null)
                PackB(b, transposeB, p.Ldb, segments.Length, segments.StrideB, j0, nc, k0, kc, buffers.B, nr);
            else
                packB(j0, nc, k0, kc, buffers.B, nr);
            float beta = k0 == kBegin ? firstBeta : 1f;
            for (int r0 = i0; r0 < i0 + mc; r0 += MC)
            {
                int rows = Math.Min(MC, i0 + mc - r0);
                float* aBlock = buffers.A;
                if (packedA is not null)
                    aBlock = packedA + ((long)(k0 / KC) * rowBlocks + r0 / MC) * MC * KC;
                else
                    PackA(a, transposeA, p.Lda, segments.Length, segments.StrideA, r0, rows, k0, kc, aBlock);
                Tiles(aBlock, buffers, rows, kc, c + (long)r0 * ldc + j0, ldc, nc, alpha, beta);
            }
        }
    }

    // The micro-kernels of one packed A block (rows x kc) against the packed B block (kc x nc): C tile by tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles(float* aBlock, PackBuffers buffers, int rows, int kc, float* c, int ldc, int nc, float alpha, float beta)
    {
        int nr = NR;
        for (int jr = 0; jr < nc; jr += nr)
        {
            float* bStrip = buffers.B + (long)jr * kc;
            int nrValid = Math.Min(nr, nc - jr);
            for (int ir = 0; ir < rows; ir += MR)
            {
                float* aStrip = aBlock + (long)ir * kc;
                int mrValid = Math.Min(MR, rows - ir);
                float* cTile = c + (long)ir * ldc + jr;
                if (mrValid == MR && nrValid == nr)
                {
                    Kernel(aStrip, bStrip, kc, cTile, ldc, alpha, beta);
                }
                else
                {
                    // An edge tile: computed whole into a scratch tile, only its valid part written.
                    float* scratch = buffers.Tile;
                    Kernel(aStrip, bStrip, kc, scratch, nr, 1f, 0f);
                    for (int r = 0; r < mrValid; r++)
                    {
                        for (int j = 0; j < nrValid; j++)
                        {
                            float* at = cTile + (long)r * ldc + j;
                            float product = alpha * scratch[r * nr + j];
                            *at = beta == 0f ? product : product + beta * *at;
                        }
                    }
                }
            }
        }
    }

    // op(A)[i0 .. i0+mc, k0 .. k0+kc] into strips of MR rows, k-major: strip s holds kc groups of MR values (rows past mc are 0).
    // Reads run along memory: along k for a row-major A, along i for a transposed one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(float* a, bool transpose, int lda, int segmentLength, long segmentStride, int i0, int mc, int k0, int kc, float* packed)
    {
        for (int s = 0; s < mc; s += MR)
        {
            float* strip = packed + (long)s * kc;
            int rows = Math.Min(MR, mc - s);
            if (rows < MR)
                new Span<float>(strip, kc * MR).Clear();
            for (int k = 0; k < kc;)
            {
                // A run of k within one segment: contiguous in memory.
                int kk = k0 + k;
                int segment = kk / segmentLength, t = kk % segmentLength;
                int run = Math.Min(kc - k, segmentLength - t);
                float* source = a + segment * segmentStride;
                if (transpose)
                {
                    for (int q = 0; q < run; q++)
                    {
                        float* column = source + (long)(t + q) * lda + i0 + s;
                        float* target = strip + (k + q) * MR;
                        for (int r = 0; r < rows; r++)
                            target[r] = column[r];
                    }
                }
                else
                {
                    for (int r = 0; r < rows; r++)
                    {
                        float* row = source + (long)(i0 + s + r) * lda + t;
                        float* target = strip + k * MR + r;
                        for (int q = 0; q < run; q++)
                            target[q * MR] = row[q];
                    }
                }
                k += run;
            }
        }
    }

    // op(B)[k0 .. k0+kc, j0 .. j0+nc] into strips of nr columns, k-major: strip t holds kc rows of nr values (columns past nc are 0).
    // Reads run along memory: along j for a row-major B, along k for a transposed one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(float* b, bool transpose, int ldb, int segmentLength, long segmentStride, int j0, int nc, int k0, int kc, float* packed, int nr)
    {
        for (int s = 0; s < nc; s += nr)
        {
            float* strip = packed + (long)s * kc;
            int columns = Math.Min(nr, nc - s);
            if (columns < nr)
                new Span<float>(strip, kc * nr).Clear();
            for (int k = 0; k < kc;)
            {
                int kk = k0 + k;
                int segment = kk / segmentLength, t = kk % segmentLength;
                int run = Math.Min(kc - k, segmentLength - t);
                float* source = b + segment * segmentStride;
                if (!transpose)
                {
                    for (int q = 0; q < run; q++)
                        new Span<float>(source + (long)(t + q) * ldb + j0 + s, columns).CopyTo(new Span<float>(strip + (k + q) * nr, columns));
                }
                else
                {
                    for (int j = 0; j < columns; j++)
                    {
                        float* row = source + (long)(j0 + s + j) * ldb + t;
                        float* target = strip + k * nr + j;
                        for (int q = 0; q < run; q++)
                            target[q * nr] = row[q];
                    }
                }
                k += run;
            }
        }
    }

    private static void Kernel(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
    {
        if (Vector512.IsHardwareAccelerated)
            Kernel512(a, b, kc, c, ldc, alpha, beta);
        else
            Kernel256(a, b, kc, c, ldc, alpha, beta);
    }

    // C[8 x 32] (=) alpha * sum_k a[k][0..8) outer b[k][0..32) (+ beta C): sixteen 512-bit accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += 8;
            b += 32;
        }
        Store512(c, c00, c01, alpha, beta);
        Store512(c + ldc, c10, c11, alpha, beta);
        Store512(c + 2L * ldc, c20, c21, alpha, beta);
        Store512(c + 3L * ldc, c30, c31, alpha, beta);
        Store512(c + 4L * ldc, c40, c41, alpha, beta);
        Store512(c + 5L * ldc, c50, c51, alpha, beta);
        Store512(c + 6L * ldc, c60, c61, alpha, beta);
        Store512(c + 7L * ldc, c70, c71, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Store512(float* c, Vector512<float> s0, Vector512<float> s1, float alpha, float beta)
    {
        var r0 = s0 * alpha;
        var r1 = s1 * alpha;
        if (beta != 0f)
        {
            r0 += Vector512.Load(c) * beta;
            r1 += Vector512.Load(c + 16) * beta;
        }
        r0.Store(c);
        r1.Store(c + 16);
    }

    // C[6 x 16] with 256-bit vectors: twelve accumulators, B's two vectors and A's broadcast fill
    // the sixteen registers (the BLIS Haswell shape), so nothing spills inside the k loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += 6;
            b += 16;
        }
        Store256(c, c00, c01, alpha, beta);
        Store256(c + ldc, c10, c11, alpha, beta);
        Store256(c + 2L * ldc, c20, c21, alpha, beta);
        Store256(c + 3L * ldc, c30, c31, alpha, beta);
        Store256(c + 4L * ldc, c40, c41, alpha, beta);
        Store256(c + 5L * ldc, c50, c51, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Store256(float* c, Vector256<float> s0, Vector256<float> s1, float alpha, float beta)
    {
        var r0 = s0 * alpha;
        var r1 = s1 * alpha;
        if (beta != 0f)
        {
            r0 += Vector256.Load(c) * beta;
            r1 += Vector256.Load(c + 8) * beta;
        }
        r0.Store(c);
        r1.Store(c + 8);
    }

    /// <summary>
    /// The buffer of a pre-packed op(A), kept between calls and grown as needed (a fresh allocation
    /// per call costs its page faults every time); a second caller at the same moment gets its own.
    /// </summary>
    private static class SharedPanel
    {
        private static readonly object Gate = new();
        private static float* s_buffer;
        private static long s_capacity;
        private static bool s_taken;

        public static float* Take(long floats)
        {
            lock (Gate)
            {
                if (!s_taken)
                {
                    if (s_capacity < floats)
                    {
                        NativeMemory.AlignedFree(s_buffer);
                        s_buffer = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
                        s_capacity = floats;
                    }
                    s_taken = true;
                    return s_buffer;
                }
            }
            return (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        }

        public static void Return(float* buffer)
        {
            lock (Gate)
            {
                if (buffer == s_buffer)
                {
                    s_taken = false;
                    return;
                }
            }
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>A thread's packing buffers, 64-byte aligned, kept for the thread's life (freed with it).</summary>
    private sealed class PackBuffers
    {
        [ThreadStatic]
        private static PackBuffers? t_buffers;

        private PackBuffers(int nr)
        {
            A = (float*)NativeMemory.AlignedAlloc((nuint)(MC * KC * sizeof(float)), 64);
            B = (float*)NativeMemory.AlignedAlloc((nuint)((NC + nr) * KC * sizeof(float)), 64);
            Tile = (float*)NativeMemory.AlignedAlloc((nuint)(MR * nr * sizeof(float)), 64);
        }

        ~PackBuffers()
        {
            NativeMemory.AlignedFree(A);
            NativeMemory.AlignedFree(B);
            NativeMemory.AlignedFree(Tile);
        }

        public float* A { get; }
        public float* B { get; }
        public float* Tile { get; }

        public static PackBuffers ForThisThread(int nr) => t_buffers ??= new PackBuffers(nr);
    }
}
