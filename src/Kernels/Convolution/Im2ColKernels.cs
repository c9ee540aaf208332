using ILGPU;

namespace Engine.Kernels.Convolution;

/// <summary>
/// im2col and its adjoint col2im for one image at a time. The column matrix of image n is
/// <c>[Cin * KH * KW, OutH * OutW]</c>: row <c>(c * KH + kh) * KW + kw</c>, column <c>oh * OutW + ow</c>
/// holds <c>x[n, c, oh * s - p + kh * d, ow * s - p + kw * d]</c> (zero outside the input). Rows of
/// group g are the contiguous block <c>[g * ColumnRows, (g + 1) * ColumnRows)</c>.
/// </summary>
public static class Im2ColKernels
{
    /// <summary>
    /// Fills the column matrices of a batch: one work-item per column entry.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>images * Cin * KH * KW * OutH * OutW</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, Cin, H, W]</c>.</param>
    /// <param name="cols">Columns <c>[images, Cin * KH * KW, OutH * OutW]</c>.</param>
    /// <param name="g">Geometry.</param>
    /// <param name="firstImage">Index of the first image of this launch in x.</param>
    [Loader("Im2Col")]
    public static void Im2Col(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> cols, ConvGeometry g, int firstImage)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int columns = g.OutH * g.OutW;
            int rows = g.InChannels * g.KH * g.KW;
            int col = i % columns;
            int rest = i / columns;
            int row = rest % rows;
            cols[i] = Gather(x, g, firstImage + rest / rows, row, col);
        }
    }

    /// <summary>
    /// The column matrix of a run of images side by side, for the weight gradient as one GEMM over
    /// all of them: <c>cols[row, image * OutH * OutW + col]</c> (<c>[Cin * KH * KW, images * OutH * OutW]</c>)
    /// holds what <see cref="Im2Col"/> puts at <c>[image, row, col]</c>. One work-item per entry;
    /// neighbouring work-items write neighbouring entries.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>Cin * KH * KW * images * OutH * OutW</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, Cin, H, W]</c>.</param>
    /// <param name="cols">Columns <c>[Cin * KH * KW, images * OutH * OutW]</c>.</param>
    /// <param name="g">Geometry.</param>
    /// <param name="firstImage">Index of the first image of this launch in x.</param>
    /// <param name="images">Images side by side.</param>
    [Loader("Im2ColImageMajor")]
    public static void Im2ColImageMajor(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> cols, ConvGeometry g, int firstImage, int images)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int columns = g.OutH * g.OutW;
            int wide = images * columns;
            int row = i / wide;
            int rest = i - row * wide;
            cols[i] = Gather(x, g, firstImage + rest / columns, row, rest % columns);
        }
    }

    /// <summary>
    /// The planes of a run of images, channel-major: <c>y[c, image * plane + p] = x[firstImage + image, c, p]</c>
    /// (<c>[C, images * plane]</c>), so the output gradient of a convolution is one matrix over
    /// the images for the weight gradient's GEMM. One work-item per value.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>C * images * plane</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, plane]</c>.</param>
    /// <param name="y">Output <c>[C, images * plane]</c>.</param>
    /// <param name="channels">C.</param>
    /// <param name="plane">Values per channel per image.</param>
    /// <param name="firstImage">Index of the first image of this launch in x.</param>
    /// <param name="images">Images side by side.</param>
    [Loader("ChannelMajor")]
    public static void ChannelMajor(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, int channels, int plane, int firstImage, int images)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int wide = images * plane;
            int c = element / wide;
            int rest = element - c * wide;
            int image = firstImage + rest / plane;
            int p = rest % plane;
            y[element] = x[((long)image * channels + c) * plane + p];
        }
    }

    /// <summary>
    /// col2im as a gather: one work-item per input pixel sums every column entry that read it,
    /// in a fixed order, so the result is deterministic without atomics.
    /// <c>dx = (accumulate ? dx : 0) + sum over (kh, kw) of dcols[row(c, kh, kw), col(oh, ow)]</c>
    /// where <c>oh * s - p + kh * d = h</c> (likewise for w).
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>images * Cin * H * W</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dcols">Column gradients <c>[images, Cin * KH * KW, OutH * OutW]</c>.</param>
    /// <param name="dx">Input gradient <c>[N, Cin, H, W]</c>.</param>
    /// <param name="g">Geometry.</param>
    /// <param name="firstImage">Index of the first image of this launch in dx.</param>
    /// <param name="accumulate">1 to add to dx, 0 to overwrite it.</param>
    [Loader("Col2Im")]
    public static void Col2Im(Index1D thread, WorkRange work, ArrayView<float> dcols, ArrayView<float> dx, ConvGeometry g, int firstImage, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int w = i % g.W;
            int rest = i / g.W;
            int h = rest % g.H;
            rest /= g.H;
            int c = rest % g.InChannels;
            int image = rest / g.InChannels;
            int columns = g.OutH * g.OutW;
            long imageBase = (long)image * g.InChannels * g.KH * g.KW * columns;

            float sum = 0f;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int hs = h + g.PadH - kh * g.DilationH; // = oh * StrideH when this tap read (h, w)
                if (hs < 0 || hs % g.StrideH != 0)
                    continue;
                int oh = hs / g.StrideH;
                if (oh >= g.OutH)
                    continue;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int ws = w + g.PadW - kw * g.DilationW;
                    if (ws < 0 || ws % g.StrideW != 0)
                        continue;
                    int ow = ws / g.StrideW;
                    if (ow >= g.OutW)
                        continue;
                    int row = (c * g.KH + kh) * g.KW + kw;
                    sum += dcols[imageBase + (long)row * columns + oh * g.OutW + ow];
                }
            }
            long at = (((long)(firstImage + image) * g.InChannels + c) * g.H + h) * g.W + w;
            dx[at] = accumulate != 0 ? dx[at] + sum : sum;
        }
    }

    /// <summary>
    /// Column entry <c>(row, col)</c> of <paramref name="image"/>: <c>x[image, c, oh * s - p + kh * d, ow * s - p + kw * d]</c>,
    /// zero outside the input.
    /// </summary>
    private static float Gather(ArrayView<float> x, ConvGeometry g, int image, int row, int col)
    {
        int ow = col % g.OutW;
        int oh = col / g.OutW;
        int kw = row % g.KW;
        int kh = (row / g.KW) % g.KH;
        int c = row / (g.KW * g.KH);
        int h = oh * g.StrideH - g.PadH + kh * g.DilationH;
        int w = ow * g.StrideW - g.PadW + kw * g.DilationW;
        bool inside = h >= 0 && h < g.H && w >= 0 && w < g.W;
        // Loads happen even where the value is discarded (backends may turn the choice into a
        // select), so the index must always be valid.
        long at = inside ? (((long)image * g.InChannels + c) * g.H + h) * g.W + w : 0;
        float v = x[at];
        return inside ? v : 0f;
    }
}
