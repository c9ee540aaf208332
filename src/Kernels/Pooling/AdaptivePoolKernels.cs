using ILGPU;

namespace Engine.Kernels.Pooling;

/// <summary>
/// Adaptive average and max pooling to any output size (PyTorch's <c>adaptive_avg_pool2d</c> and
/// <c>adaptive_max_pool2d</c>), one work-item per output element forward, and gather backwards
/// (one work-item per input element, visiting the windows that hold it in row-major order): no
/// atomics, the same sums on every backend. Window bounds come from <see cref="AdaptivePoolGeometry"/>.
/// </summary>
public static class AdaptivePoolKernels
{
    /// <summary>
    /// One work-item per output element: the window's sum in row-major order, divided by its height
    /// and then by its width (<c>sum / kh / kw</c>, as PyTorch's CPU and CUDA kernels compute it).
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each a flat index over <c>Planes * OutH * OutW</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="g">Geometry.</param>
    [Loader("AdaptivePool.AvgForward")]
    public static void AvgForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, AdaptivePoolGeometry g)
    {
        int width = g.W.Divisor;
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int rest = g.OutW.DivRem(element, out int ow);
            int plane = g.OutH.DivRem(rest, out int oh);
            int h0 = g.RowStart(oh), h1 = g.RowEnd(oh), w0 = g.ColStart(ow), w1 = g.ColEnd(ow);
            long planeBase = (long)plane * g.H.Divisor * width;
            float sum = 0f;
            for (int h = h0; h < h1; h++)
                for (int w = w0; w < w1; w++)
                    sum += x[planeBase + h * width + w];
            y[element] = sum / (h1 - h0) / (w1 - w0);
        }
    }

    /// <summary>
    /// One work-item per input element: the sum, over the windows that hold it in row-major order,
    /// of <c>dy / kh / kw</c> (the window's height and width).
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each a flat index over <c>Planes * H * W</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dy">Output gradient <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="dx">Input gradient <c>[N, C, H, W]</c>.</param>
    /// <param name="g">Geometry.</param>
    /// <param name="accumulate">1 to add to dx, 0 to overwrite it.</param>
    [Loader("AdaptivePool.AvgBackward")]
    public static void AvgBackward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<float> dx, AdaptivePoolGeometry g, int accumulate)
    {
        int outW = g.OutW.Divisor;
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int rest = g.W.DivRem(element, out int w);
            int plane = g.H.DivRem(rest, out int h);
            int ohFirst = g.FirstRowOf(h), ohLast = g.LastRowOf(h);
            int owFirst = g.FirstColOf(w), owLast = g.LastColOf(w);
            long planeBase = (long)plane * g.OutH.Divisor * outW;
            float sum = 0f;
            for (int oh = ohFirst; oh <= ohLast; oh++)
            {
                int kh = g.RowEnd(oh) - g.RowStart(oh);
                for (int ow = owFirst; ow <= owLast; ow++)
                    sum += dy[planeBase + oh * outW + ow] / kh / (g.ColEnd(ow) - g.ColStart(ow));
            }
            dx[element] = accumulate != 0 ? dx[element] + sum : sum;
        }
    }

    /// <summary>
    /// One work-item per output element: the window's maximum and the flat index <c>h * W + w</c>
    /// of its first occurrence within the (n, c) plane; NaN wins (a later NaN replaces an earlier
    /// one), as in max pooling.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each a flat index over <c>Planes * OutH * OutW</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="indices">Argmax <c>[N, C, OutH, OutW]</c>, flat within each plane.</param>
    /// <param name="g">Geometry.</param>
    [Loader("AdaptivePool.MaxForward")]
    public static void MaxForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, ArrayView<int> indices, AdaptivePoolGeometry g)
    {
        int width = g.W.Divisor;
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int rest = g.OutW.DivRem(element, out int ow);
            int plane = g.OutH.DivRem(rest, out int oh);
            int h0 = g.RowStart(oh), h1 = g.RowEnd(oh), w0 = g.ColStart(ow), w1 = g.ColEnd(ow);
            long planeBase = (long)plane * g.H.Divisor * width;
            float best = float.NegativeInfinity;
            int bestIndex = -1;
            for (int h = h0; h < h1; h++)
            {
                for (int w = w0; w < w1; w++)
                {
                    int flat = h * width + w;
                    float v = x[planeBase + flat];
                    if (bestIndex < 0 || v > best || float.IsNaN(v))
                    {
                        best = v;
                        bestIndex = flat;
                    }
                }
            }
            y[element] = best;
            indices[element] = bestIndex;
        }
    }

    /// <summary>
    /// One work-item per input element: the sum of the output gradients of the windows that hold it
    /// and whose argmax it is, in the windows' row-major order.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each a flat index over <c>Planes * H * W</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dy">Output gradient <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="indices">Argmax from the forward pass <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="dx">Input gradient <c>[N, C, H, W]</c>.</param>
    /// <param name="g">Geometry.</param>
    /// <param name="accumulate">1 to add to dx, 0 to overwrite it.</param>
    [Loader("AdaptivePool.MaxBackward")]
    public static void MaxBackward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, AdaptivePoolGeometry g, int accumulate)
    {
        int outW = g.OutW.Divisor;
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int rest = g.W.DivRem(element, out int w);
            int plane = g.H.DivRem(rest, out int h);
            int flat = h * g.W.Divisor + w;
            int ohFirst = g.FirstRowOf(h), ohLast = g.LastRowOf(h);
            int owFirst = g.FirstColOf(w), owLast = g.LastColOf(w);
            long planeBase = (long)plane * g.OutH.Divisor * outW;
            float sum = 0f;
            for (int oh = ohFirst; oh <= ohLast; oh++)
            {
                for (int ow = owFirst; ow <= owLast; ow++)
                {
                    long at = planeBase + oh * outW + ow;
                    if (indices[at] == flat)
                        sum += dy[at];
                }
            }
            dx[element] = accumulate != 0 ? dx[element] + sum : sum;
        }
    }
}
