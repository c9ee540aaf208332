using Engine.Devices;
using Engine.Kernels.Convolution;
using Engine.Tensors;
using ILGPU;

namespace Engine.Ops.Convolution;

/// <summary>
/// Convolution on the CPU accelerator (see <see cref="HostPath"/>) as three large GEMMs instead of
/// one small GEMM per image, over the column matrix of a chunk of images side by side, <c>cols
/// [Cin*KH*KW, images * OutH*OutW]</c>: the forward pass is <c>W [Cout, K] x cols</c>, the input
/// gradient <c>W^T x dY</c> (then col2im) and the weight gradient <c>dY x cols^T</c> summed over the
/// whole chunk in one GEMM (K = images * OutH*OutW). The forward pass and the weight gradient never
/// store cols: the GEMM packs its panels straight from x (<see cref="PackColumns"/>,
/// <see cref="PackColumnsTransposed"/>). The output and its gradient move between <c>[N, Cout,
/// OutH*OutW]</c> and <c>[Cout, images * OutH*OutW]</c> by plane copies (none for one image). Per
/// group where there are groups. Every sum runs in a fixed order (see <see cref="HostGemm"/>): the
/// same bits on every run.
/// </summary>
internal static unsafe class HostConvolution
{
    /// <summary>
    /// <c>y = conv(x, w)</c>: x <c>[N, Cin, H, W]</c>, w <c>[Cout, Cin/G, KH, KW]</c>, y <c>[N, Cout, OutH, OutW]</c>.
    /// The column matrix is never stored: the GEMM packs its panels straight from x
    /// (<see cref="PackColumns"/>), so no im2col buffer is written and read back.
    /// </summary>
    internal static void Forward(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y)
    {
        var geometry = g;
        int plane = g.ColumnCols, rows = g.ColumnRows;
        float* input = HostPath.Pointer(x);
        foreach (var (first, images) in OutputChunks(g))
        {
            int columns = images * plane;
            // One image's output is already [Cout, plane]: the GEMM writes it in place.
            using var product = images == 1 ? null : Workspace(device, (long)g.OutChannels * columns);
            var target = product?.View ?? y.SubView((long)first * g.OutChannels * plane);
            for (int group = 0; group < g.Groups; group++)
            {
                // product_g [CoutG, columns] = w_g [CoutG, K] x cols_g [K, columns]
                int chunkFirst = first, chunkGroup = group;
                HostGemm.RunPacked(w.SubView((long)group * g.OutChannelsPerGroup * rows),
                    (j0, nc, k0, kc, packed, nr) => PackColumns(input, geometry, chunkFirst, chunkGroup, j0, nc, k0, kc, packed, nr),
                    target.SubView((long)group * g.OutChannelsPerGroup * columns), g.OutChannelsPerGroup, columns, rows, rows, columns, 1f, 0f);
            }
            if (product is not null)
                Planes(product.View, y, g.OutChannels, plane, first, images, toImages: true);
        }
    }

    /// <summary><c>dx (+)= conv_input_grad(w, dy)</c>: per group <c>dcols = w_g^T dY_g</c>, then col2im.</summary>
    internal static void InputGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> w, ArrayView<float> dy, ArrayView<float> dx, bool accumulate)
    {
        var geometry = g;
        int plane = g.ColumnCols, rows = g.ColumnRows;
        foreach (var (first, images) in Chunks(g))
        {
            int columns = images * plane;
            using var gradient = Workspace(device, (long)g.OutChannels * columns);
            using var dcols = Workspace(device, (long)rows * g.Groups * columns);
            Planes(gradient.View, dy, g.OutChannels, plane, first, images, toImages: false);
            for (int group = 0; group < g.Groups; group++)
            {
                // dcols_g [K, columns] = w_g^T [K, CoutG] x dY_g [CoutG, columns]
                HostGemm.RunSegmented(w.SubView((long)group * g.OutChannelsPerGroup * rows), gradient.View.SubView((long)group * g.OutChannelsPerGroup * columns),
                    dcols.View.SubView((long)group * rows * columns), true, false,
                    rows, columns, g.OutChannelsPerGroup, 1, rows, columns, columns, 0, 0, 1f, 0f);
            }
            Col2Im(dcols.View, dx, geometry, first, images, accumulate);
        }
    }

    /// <summary>
    /// <c>dw (+)= sum over images of dY cols^T</c>, per group, as one GEMM per chunk of images whose
    /// K runs over every output pixel of the chunk. cols^T is never stored: the GEMM packs its panels
    /// from x (<see cref="PackColumnsTransposed"/>).
    /// </summary>
    internal static void WeightGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, bool accumulate)
    {
        var geometry = g;
        int plane = g.ColumnCols, rows = g.ColumnRows;
        float* input = HostPath.Pointer(x);
        foreach (var (first, images) in OutputChunks(g))
        {
            int columns = images * plane;
            // One image's output gradient is already [Cout, plane].
            using var gradient = images == 1 ? null : Workspace(device, (long)g.OutChannels * columns);
            if (gradient is not null)
                Planes(gradient.View, dy, g.OutChannels, plane, first, images, toImages: false);
            var source = gradient?.View ?? dy.SubView((long)first * g.OutChannels * plane);
            float beta = accumulate || first > 0 ? 1f : 0f;
            for (int group = 0; group < g.Groups; group++)
            {
                // dw_g [CoutG, K] (+)= dY_g [CoutG, columns] x cols_g^T [columns, K]
                int chunkFirst = first, chunkGroup = group;
                HostGemm.RunPacked(source.SubView((long)group * g.OutChannelsPerGroup * columns),
                    (j0, nc, k0, kc, packed, nr) => PackColumnsTransposed(input, geometry, chunkFirst, chunkGroup, j0, nc, k0, kc, packed, nr),
                    dw.SubView((long)group * g.OutChannelsPerGroup * rows), g.OutChannelsPerGroup, rows, columns, columns, rows, 1f, beta);
            }
        }
    }

    /// <summary>
    /// Largest workspace one call allocates (the input gradient's columns, or outputs side by side):
    /// 32 MiB already makes GEMMs large enough to run at full speed, and keeps the workspace (which
    /// the caching allocator holds on to) small.
    /// </summary>
    internal const long ColumnBudgetBytes = 32L << 20;

    /// <summary>
    /// A workspace of at least <paramref name="count"/> floats, from the caching allocator in
    /// power-of-two sizes (from 1 Mi floats): every convolution of a network draws on the same few
    /// cached buffers instead of one per layer shape.
    /// </summary>
    private static Tensor Workspace(ComputeDevice device, long count)
    {
        long size = Math.Max(1L << 20, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)count));
        return Tensor.Empty(device, new Shape(checked((int)size)));
    }

    /// <summary>Chunks of images whose columns fit <see cref="ColumnBudgetBytes"/>.</summary>
    private static IEnumerable<(int First, int Images)> Chunks(ConvGeometry g)
    {
        long bytesPerImage = 4L * g.InChannels * g.KH * g.KW * g.ColumnCols;
        int chunk = (int)Math.Clamp(ColumnBudgetBytes / Math.Max(bytesPerImage, 1), 1, g.N);
        for (int first = 0; first < g.N; first += chunk)
            yield return (first, Math.Min(chunk, g.N - first));
    }

    /// <summary>Chunks of images whose outputs, side by side, fit <see cref="ColumnBudgetBytes"/>.</summary>
    private static IEnumerable<(int First, int Images)> OutputChunks(ConvGeometry g)
    {
        long bytesPerImage = 4L * g.OutChannels * g.ColumnCols;
        int chunk = (int)Math.Clamp(ColumnBudgetBytes / Math.Max(bytesPerImage, 1), 1, g.N);
        for (int first = 0; first < g.N; first += chunk)
            yield return (first, Math.Min(chunk, g.N - first));
    }

    /// <summary>
    /// The panel <c>cols_g[k0 .. k0+kc, j0 .. j0+nc]</c> of group <paramref name="group"/>'s column matrix
    /// for images from <paramref name="first"/>, in the GEMM's packed layout (strips of nr columns,
    /// k-major), read from x (zero outside the image). Column j is (image,
    /// oh, ow); a strip's columns split into runs within one output row, which read one input row
    /// (contiguously when the stride is 1) per (c, kh, kw).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackColumns(float* x, in ConvGeometry g, int first, int group, int j0, int nc, int k0, int kc, float* packed, int nr)
    {
        int plane = g.OutH * g.OutW, planeSize = g.H * g.W;
        for (int s = 0; s < nc; s += nr)
        {
            float* strip = packed + (long)s * kc;
            int stripColumns = Math.Min(nr, nc - s);
            if (stripColumns < nr)
                new Span<float>(strip, kc * nr).Clear();
            for (int j = j0 + s, end = j0 + s + stripColumns; j < end;)
            {
                int image = j / plane, pixel = j % plane, oh = pixel / g.OutW, ow = pixel % g.OutW;
                int run = Math.Min(end - j, g.OutW - ow);
                float* source = x + ((long)(first + image) * g.InChannels + (long)group * g.InChannelsPerGroup) * planeSize;
                float* column = strip + (j - j0 - s);
                int h0 = oh * g.StrideH - g.PadH, w0 = ow * g.StrideW - g.PadW;
                for (int k = 0; k < kc; k++)
                    GatherTap(source, g, k0 + k, h0, w0, run, column + (long)k * nr, 1);
                j += run;
            }
        }
    }

    /// <summary>
    /// The panel <c>cols_g^T[k0 .. k0+kc, j0 .. j0+nc]</c> in the GEMM's packed layout: GEMM rows are
    /// output pixels (image, oh, ow) of the chunk, GEMM columns the taps (c, kh, kw). Per tap, a run
    /// of pixels within one output row reads one input row (contiguously when the stride is 1) and
    /// writes down the strip, nr floats apart.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackColumnsTransposed(float* x, in ConvGeometry g, int first, int group, int j0, int nc, int k0, int kc, float* packed, int nr)
    {
        int plane = g.OutH * g.OutW, planeSize = g.H * g.W;
        for (int s = 0; s < nc; s += nr)
        {
            float* strip = packed + (long)s * kc;
            int stripColumns = Math.Min(nr, nc - s);
            if (stripColumns < nr)
                new Span<float>(strip, kc * nr).Clear();
            for (int p = k0, end = k0 + kc; p < end;)
            {
                int image = p / plane, pixel = p % plane, oh = pixel / g.OutW, ow = pixel % g.OutW;
                int run = Math.Min(end - p, g.OutW - ow);
                float* source = x + ((long)(first + image) * g.InChannels + (long)group * g.InChannelsPerGroup) * planeSize;
                int h0 = oh * g.StrideH - g.PadH, w0 = ow * g.StrideW - g.PadW;
                for (int t = 0; t < stripColumns; t++)
                    GatherTap(source, g, j0 + s + t, h0, w0, run, strip + (long)(p - k0) * nr + t, nr);
                p += run;
            }
        }
    }

    /// <summary>
    /// One tap (c, kh, kw) of the column matrix over a run of output pixels within one output row
    /// whose first window starts at input (h0, w0): <c>target[q * step] = x_c[h0 + kh dh, w0 + kw dw +
    /// q sw]</c> for q in [0, run), zero outside the image. The forward pass writes it along a strip
    /// (step 1), the weight gradient down one (step nr).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void GatherTap(float* source, in ConvGeometry g, int tap, int h0, int w0, int run, float* target, int step)
    {
        int taps = g.KH * g.KW, c = tap / taps, kh = tap % taps / g.KW, kw = tap % g.KW;
        int h = h0 + kh * g.DilationH;
        if (h < 0 || h >= g.H)
        {
            if (step == 1)
                HostRows.Clear(target, run);
            else
                for (int q = 0; q < run; q++)
                    target[q * step] = 0f;
            return;
        }
        float* line = source + (long)c * g.H * g.W + (long)h * g.W;
        int offset = w0 + kw * g.DilationW;
        if (g.StrideW == 1)
        {
            // Pixels q in [lo, hi) read inside the row; the padding either side is zero.
            int lo = Math.Clamp(-offset, 0, run), hi = Math.Clamp(g.W - offset, lo, run);
            for (int q = 0; q < lo; q++)
                target[q * step] = 0f;
            if (step == 1)
                HostRows.Copy(target + lo, line + offset + lo, hi - lo);
            else
                for (int q = lo; q < hi; q++)
                    target[q * step] = line[offset + q];
            for (int q = hi; q < run; q++)
                target[q * step] = 0f;
            return;
        }
        for (int q = 0; q < run; q++)
        {
            int wi = offset + q * g.StrideW;
            target[q * step] = wi >= 0 && wi < g.W ? line[wi] : 0f;
        }
    }

    /// <summary>
    /// Moves planes between <c>[N, channels, plane]</c> (images <c>[first, first + images)</c>) and
    /// <c>[channels, images * plane]</c>: to the images when <paramref name="toImages"/>, else from them.
    /// </summary>
    private static void Planes(ArrayView<float> wide, ArrayView<float> batched, int channels, int plane, int first, int images, bool toImages)
    {
        float* pw = HostPath.Pointer(wide), pb = HostPath.Pointer(batched);
        long columns = (long)images * plane;
        HostPath.Chunks((long)channels * images, Math.Max(1, (1 << 14) / plane), (start, count) =>
        {
            for (long item = start; item < start + count; item++)
            {
                long c = item / images, image = item % images;
                var w = new Span<float>(pw + c * columns + image * plane, plane);
                var b = new Span<float>(pb + ((first + image) * channels + c) * plane, plane);
                if (toImages)
                    w.CopyTo(b);
                else
                    b.CopyTo(w);
            }
        });
    }

    /// <summary>
    /// dx images <c>[first, first + images)</c> (+)= col2im(dcols) from the side-by-side layout: each
    /// (image, channel) plane summed by one thread (<see cref="HostPath.PlaneSums"/>), taps in (kh, kw)
    /// order as the kernel's gather adds them.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Col2Im(ArrayView<float> dcols, ArrayView<float> dx, ConvGeometry g, int first, int images, bool accumulate)
    {
        float* source = HostPath.Pointer(dcols), target = HostPath.Pointer(dx);
        int plane = g.OutH * g.OutW, planeSize = g.H * g.W;
        long columns = (long)images * plane;
        // Planes (image, c) of the chunk are contiguous in dx from image `first` on.
        HostPath.PlaneSums((long)images * g.InChannels, planeSize, 1, target + (long)first * g.InChannels * planeSize, accumulate, (item, sum) =>
        {
            int image = (int)(item / g.InChannels), c = (int)(item % g.InChannels);
            for (int kh = 0; kh < g.KH; kh++)
            {
                for (int kw = 0; kw < g.KW; kw++)
                {
                    float* row = source + ((c * g.KH + kh) * g.KW + kw) * columns + (long)image * plane;
                    for (int oh = 0; oh < g.OutH; oh++)
                    {
                        int h = oh * g.StrideH - g.PadH + kh * g.DilationH;
                        if (h < 0 || h >= g.H)
                            continue;
                        float* input = row + oh * g.OutW;
                        float* line = sum + (long)h * g.W;
                        int offset = kw * g.DilationW - g.PadW;
                        if (g.StrideW == 1)
                        {
                            // Each pixel still gains its taps in (kh, kw) order: one add per pixel per tap, vectorised along the row.
                            int lo = Math.Clamp(-offset, 0, g.OutW), hi = Math.Clamp(g.W - offset, lo, g.OutW);
                            HostRows.Add(line + offset + lo, input + lo, hi - lo);
                            continue;
                        }
                        for (int ow = 0; ow < g.OutW; ow++)
                        {
                            int wi = ow * g.StrideW + offset;
                            if (wi >= 0 && wi < g.W)
                                line[wi] += input[ow];
                        }
                    }
                }
            }
        });
    }

    /// <summary>Bytes <see cref="Forward"/> holds at once beyond its output: the product of a chunk of images side by side (none for one image a chunk).</summary>
    internal static long ForwardWorkspace(in ConvGeometry g)
    {
        long perImage = (long)g.OutChannels * g.ColumnCols;
        return OutputChunks(g).Max(c => c.Images == 1 ? 0 : WorkspaceBytes(perImage * c.Images));
    }

    /// <summary>Bytes <see cref="InputGradient"/> holds at once: a chunk's output gradient and its columns' gradient.</summary>
    internal static long InputGradientWorkspace(in ConvGeometry g)
    {
        var geometry = g;
        return Chunks(g).Max(c => WorkspaceBytes((long)geometry.OutChannels * c.Images * geometry.ColumnCols) + WorkspaceBytes((long)geometry.ColumnRows * geometry.Groups * c.Images * geometry.ColumnCols));
    }

    /// <summary>Bytes <see cref="WeightGradient"/> holds at once: a chunk's output gradient side by side (none for one image a chunk).</summary>
    internal static long WeightGradientWorkspace(in ConvGeometry g) => ForwardWorkspace(g);

    // What Workspace allocates for count floats, in bytes.
    private static long WorkspaceBytes(long count) => 4 * Math.Max(1L << 20, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)count));
}
