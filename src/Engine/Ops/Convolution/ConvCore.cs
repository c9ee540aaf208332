using Engine.Devices;
using Engine.Kernels.Blas;
using Engine.Kernels.Convolution;
using Engine.Kernels.Reduction;
using Engine.Ops.Reduction;
using Engine.Tensors;
using ILGPU;

namespace Engine.Ops.Convolution;

/// <summary>
/// Convolution by im2col + GEMM on a validated <see cref="ConvGeometry"/>: the forward pass, the
/// input gradient (GEMM + col2im as a gather) and the weight gradient. Images are processed in
/// chunks so the column buffer stays under <see cref="ColumnBudgetBytes"/>. A 1x1, stride-1,
/// unpadded convolution multiplies the input directly, without columns. This is the kernels' path
/// where products do not run on the block-tiled GEMMs; <see cref="ConvPaths"/> picks it, the host's
/// (<see cref="HostConvolution"/>) or implicit GEMM (<see cref="ImplicitConvolution"/>).
/// </summary>
internal static class ConvCore
{
    /// <summary>Largest column buffer one call allocates (images are chunked to fit).</summary>
    internal const long ColumnBudgetBytes = 256L << 20;

    /// <summary>True when the column matrix would equal the input itself.</summary>
    internal static bool IsPointwise(in ConvGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0
        && g.OutH == g.H && g.OutW == g.W;

    /// <summary><c>y = conv(x, w)</c> without bias. x <c>[N, Cin, H, W]</c>, w <c>[Cout, Cin/G, KH, KW]</c>, y <c>[N, Cout, OutH, OutW]</c>.</summary>
    internal static void Forward(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y)
    {
        int columns = g.ColumnCols;
        int rowsPerGroup = g.ColumnRows;
        int outPerGroup = g.OutChannelsPerGroup;
        if (IsPointwise(g))
        {
            for (int group = 0; group < g.Groups; group++)
            {
                // y[n, g] [CoutG, HW] = w_g [CoutG, CinG] * x[n, g] [CinG, HW]
                var p = new GemmParams(outPerGroup, columns, rowsPerGroup, rowsPerGroup, columns, columns,
                    0, (long)g.InChannels * columns, (long)g.OutChannels * columns, g.N, 1f, 0f);
                Blas.Launch(device,
                    w.SubView((long)group * outPerGroup * rowsPerGroup),
                    x.SubView((long)group * rowsPerGroup * columns),
                    y.SubView((long)group * outPerGroup * columns), false, false, p);
            }
            return;
        }

        int chunk = ImagesPerChunk(g);
        long colsPerImage = (long)g.InChannels * g.KH * g.KW * columns;
        using var cols = Tensor.Empty(device, chunk, (int)colsPerImage);
        for (int first = 0; first < g.N; first += chunk)
        {
            int images = Math.Min(chunk, g.N - first);
            Im2Col(device, x, cols.View, g, first, images);
            // The kernel writes cols[0 .. images); x is read at image first + local index.
            for (int group = 0; group < g.Groups; group++)
            {
                // y[n, g] [CoutG, OHW] = w_g [CoutG, CinG*K*K] * cols[n, g] [CinG*K*K, OHW]
                var p = new GemmParams(outPerGroup, columns, rowsPerGroup, rowsPerGroup, columns, columns,
                    0, colsPerImage, (long)g.OutChannels * columns, images, 1f, 0f);
                Blas.Launch(device,
                    w.SubView((long)group * outPerGroup * rowsPerGroup),
                    cols.View.SubView((long)group * rowsPerGroup * columns),
                    y.SubView(((long)first * g.OutChannels + group * outPerGroup) * columns), false, false, p);
            }
        }
    }

    /// <summary>
    /// <c>dx (+)= conv_input_grad(w, dy)</c>: per group <c>dcols = w_g^T dy_g</c> on whichever GEMM the
    /// device takes, then col2im as a gather. Also what implicit GEMM's path runs for strided
    /// convolutions, whose gathered product would multiply stride-squared times the taps (most of
    /// them zero). dy <c>[N, Cout, OutH, OutW]</c>, dx <c>[N, Cin, H, W]</c>.
    /// </summary>
    internal static void InputGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> w, ArrayView<float> dy, ArrayView<float> dx, bool accumulate)
    {
        int columns = g.ColumnCols;
        int rowsPerGroup = g.ColumnRows;
        int outPerGroup = g.OutChannelsPerGroup;
        if (IsPointwise(g))
        {
            for (int group = 0; group < g.Groups; group++)
            {
                // dx[n, g] [CinG, HW] (+)= w_g^T [CinG, CoutG] * dy[n, g] [CoutG, HW]
                var p = new GemmParams(rowsPerGroup, columns, outPerGroup, rowsPerGroup, columns, columns,
                    0, (long)g.OutChannels * columns, (long)g.InChannels * columns, g.N, 1f, accumulate ? 1f : 0f);
                Blas.Launch(device,
                    w.SubView((long)group * outPerGroup * rowsPerGroup),
                    dy.SubView((long)group * outPerGroup * columns),
                    dx.SubView((long)group * rowsPerGroup * columns), true, false, p);
            }
            return;
        }

        int chunk = ImagesPerChunk(g);
        long colsPerImage = (long)g.InChannels * g.KH * g.KW * columns;
        using var dcols = Tensor.Empty(device, chunk, (int)colsPerImage);
        for (int first = 0; first < g.N; first += chunk)
        {
            int images = Math.Min(chunk, g.N - first);
            for (int group = 0; group < g.Groups; group++)
            {
                var p = new GemmParams(rowsPerGroup, columns, outPerGroup, rowsPerGroup, columns, columns,
                    0, (long)g.OutChannels * columns, colsPerImage, images, 1f, 0f);
                Blas.Launch(device,
                    w.SubView((long)group * outPerGroup * rowsPerGroup),
                    dy.SubView(((long)first * g.OutChannels + group * outPerGroup) * columns),
                    dcols.View.SubView((long)group * rowsPerGroup * columns), true, false, p);
            }
            long pixels = (long)images * g.InChannels * g.H * g.W;
            device.Kernel(Im2ColLoaders.Col2Im)(Check.LaunchSize("Conv2d backward", pixels), dcols.View, dx, g, first, Launch.Flag(accumulate));
        }
    }

    /// <summary>
    /// <c>dw (+)= sum_n dy[n, g] cols[n, g]^T</c> per group as one GEMM over <c>K = images * OutH * OutW</c>:
    /// the columns of a chunk of images side by side (<c>[Cin*KH*KW, images*OHW]</c>) and the output
    /// gradient channel-major (<c>[Cout, images*OHW]</c>). When dw alone is too small to fill a GPU,
    /// K is split into slices computed as one batched GEMM into partial results,
    /// then summed slice by slice in order (<see cref="WeightGradientSlicing"/>); the split depends on
    /// the shape only, so every device adds in the same order.
    /// </summary>
    internal static void WeightGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, bool accumulate)
    {
        int columns = g.ColumnCols;
        int rowsPerGroup = g.ColumnRows;
        int outPerGroup = g.OutChannelsPerGroup;
        int rows = g.InChannels * g.KH * g.KW;
        long weights = (long)g.OutChannels * rowsPerGroup;
        int chunk = ImagesPerChunk(g);
        var slicing = WeightGradientSlicing.For(weights, (long)chunk * columns);
        int maxSlices = slicing.Slices((long)chunk * columns);
        using var cols = Tensor.Empty(device, Check.LaunchSize("Conv2d backward", (long)rows * chunk * columns));
        using var dyT = chunk > 1 ? Tensor.Empty(device, Check.LaunchSize("Conv2d backward", (long)g.OutChannels * chunk * columns)) : null;
        using var partial = maxSlices > 1 ? Tensor.Empty(device, Check.LaunchSize("Conv2d backward", maxSlices * weights)) : null;
        for (int first = 0; first < g.N; first += chunk)
        {
            int images = Math.Min(chunk, g.N - first);
            bool add = accumulate || first > 0;
            int k = images * columns;
            device.Kernel(Im2ColLoaders.Im2ColImageMajor)(Check.LaunchSize("Conv2d backward", (long)rows * k), x, cols.View, g, first, images);
            // One image's output gradient is channel-major already.
            var dyRows = images == 1 ? dy.SubView((long)first * g.OutChannels * columns) : dyT!.View;
            if (images > 1)
                device.Kernel(Im2ColLoaders.ChannelMajor)(Check.LaunchSize("Conv2d backward", (long)g.OutChannels * k), dy, dyT!.View, g.OutChannels, columns, first, images);
            int depth = Math.Min(slicing.Depth, k);
            int slices = slicing.Slices(k) , full = k / depth, rest = k - full * depth;
            var target = slices == 1 ? dw : partial!.View;
            float beta = slices == 1 && add ? 1f : 0f;
            for (int group = 0; group < g.Groups; group++)
            {
                var a = dyRows.SubView((long)group * outPerGroup * k);
                var b = cols.View.SubView((long)group * rowsPerGroup * k);
                var c = target.SubView((long)group * outPerGroup * rowsPerGroup);
                // slice s: dw_g [CoutG, CinG*K*K] = dyT_g [CoutG, depth] * cols_g^T [depth, CinG*K*K] over its columns.
                var p = new GemmParams(outPerGroup, rowsPerGroup, depth, k, k, rowsPerGroup, depth, depth, weights, full, 1f, beta);
                Blas.Launch(device, a, b, c, false, true, p);
                if (rest > 0)
                {
                    long offset = (long)full * depth;
                    var q = new GemmParams(outPerGroup, rowsPerGroup, rest, k, k, rowsPerGroup, 0, 0, weights, 1, 1f, beta);
                    Blas.Launch(device, a.SubView(offset), b.SubView(offset), c.SubView(full * weights), false, true, q);
                }
            }
            if (slices > 1)
                device.Kernel(ReductionLoaders.SumSlices)(Check.LaunchSize("Conv2d backward", weights), partial!.View, dw, (int)weights, slices, Launch.Flag(add));
        }
    }

    /// <summary><c>db[c] (+)= sum over n, oh, ow of dy[n, c, oh, ow]</c>.</summary>
    internal static void BiasGradient(ComputeDevice device, ArrayView<float> dy, ArrayView<float> db, int n, int channels, int plane, bool accumulate) =>
        ChannelReduction.Sum(device, dy, db, n, channels, plane, accumulate);

    // cols [images, Cin*KH*KW, OutH*OutW] from images [first, first + images) of x.
    private static void Im2Col(ComputeDevice device, ArrayView<float> x, ArrayView<float> cols, in ConvGeometry g, int first, int images)
    {
        long count = (long)images * g.InChannels * g.KH * g.KW * g.ColumnCols;
        device.Kernel(Im2ColLoaders.Im2Col)(Check.LaunchSize("Conv2d", count), x, cols, g, first);
    }

    private static int ImagesPerChunk(in ConvGeometry g)
    {
        long bytesPerImage = 4L * g.InChannels * g.KH * g.KW * g.ColumnCols;
        return (int)Math.Clamp(ColumnBudgetBytes / Math.Max(bytesPerImage, 1), 1, g.N);
    }

    /// <summary>Bytes <see cref="Forward"/> allocates for a while beyond the output: a chunk's columns (none for a pointwise convolution).</summary>
    internal static long ForwardWorkspace(in ConvGeometry g) => IsPointwise(g) ? 0 : 4L * ImagesPerChunk(g) * g.InChannels * g.KH * g.KW * g.ColumnCols;

    /// <summary>Bytes <see cref="InputGradient"/> allocates for a while: a chunk's columns (none for a pointwise convolution).</summary>
    internal static long InputGradientWorkspace(in ConvGeometry g) => ForwardWorkspace(g);

    /// <summary>Bytes <see cref="WeightGradient"/> allocates for a while: columns, the output gradient channel-major and the slices' partial results.</summary>
    internal static long WeightGradientWorkspace(in ConvGeometry g)
    {
        int columns = g.ColumnCols, chunk = ImagesPerChunk(g);
        long weights = (long)g.OutChannels * g.ColumnRows;
        int maxSlices = WeightGradientSlicing.For(weights, (long)chunk * columns).Slices((long)chunk * columns);
        return 4 * ((long)g.InChannels * g.KH * g.KW * chunk * columns + (chunk > 1 ? (long)g.OutChannels * chunk * columns : 0) + (maxSlices > 1 ? maxSlices * weights : 0));
    }

    /// <summary>Bytes <see cref="BiasGradient"/> allocates for a while.</summary>
    internal static long BiasGradientWorkspace(int n, int channels, int plane) => ChannelReduction.SumWorkspace(n, channels, plane);
}
