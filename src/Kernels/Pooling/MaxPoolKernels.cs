using ILGPU;

namespace Engine.Kernels.Pooling;

/// <summary>
/// Max pooling with argmax masks, and its backward as a gather.
/// </summary>
public static class MaxPoolKernels
{
    /// <summary>
    /// One work-item per output element: the window's maximum and the flat index <c>h * W + w</c>
    /// of its first occurrence within the (n, c) plane. Padding never wins; NaN does (PyTorch: a
    /// later NaN replaces an earlier one).
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>Planes * OutH * OutW</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="indices">Argmax <c>[N, C, OutH, OutW]</c>, flat within each plane.</param>
    /// <param name="g">Geometry.</param>
    [Loader("MaxPool.Forward")]
    public static void Forward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, ArrayView<int> indices, PoolGeometry g)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int ow = i % g.OutW;
            int rest = i / g.OutW;
            int oh = rest % g.OutH;
            int plane = rest / g.OutH;
            long planeBase = (long)plane * g.H * g.W;
            int h0 = oh * g.StrideH - g.PadH;
            int w0 = ow * g.StrideW - g.PadW;

            float best = float.NegativeInfinity;
            int bestIndex = -1;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int h = h0 + kh * g.DilationH;
                if (h < 0 || h >= g.H)
                    continue;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int w = w0 + kw * g.DilationW;
                    if (w < 0 || w >= g.W)
                        continue;
                    int flat = h * g.W + w;
                    float v = x[planeBase + flat];
                    if (bestIndex < 0 || v > best || float.IsNaN(v))
                    {
                        best = v;
                        bestIndex = flat;
                    }
                }
            }
            y[i] = best;
            indices[i] = bestIndex;
        }
    }

    /// <summary>
    /// One work-item per input pixel: the sum of the output gradients of every window whose
    /// argmax is this pixel (windows visited in row-major order), so no atomics are needed.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>Planes * H * W</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dy">Output gradient <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="indices">Argmax from the forward pass.</param>
    /// <param name="dx">Input gradient <c>[N, C, H, W]</c>.</param>
    /// <param name="g">Geometry.</param>
    /// <param name="accumulate">1 to add to dx, 0 to overwrite it.</param>
    [Loader("MaxPool.Backward")]
    public static void Backward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, PoolGeometry g, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int w = i % g.W;
            int rest = i / g.W;
            int h = rest % g.H;
            int plane = rest / g.H;
            int flat = h * g.W + w;
            // Windows that can contain (h, w): oh * s - p <= h <= oh * s - p + (k - 1) * d.
            int ohFirst = CeilDivNonNegative(h + g.PadH - (g.KH - 1) * g.DilationH, g.StrideH);
            int ohLast = IntrinsicMath.Min((h + g.PadH) / g.StrideH, g.OutH - 1);
            int owFirst = CeilDivNonNegative(w + g.PadW - (g.KW - 1) * g.DilationW, g.StrideW);
            int owLast = IntrinsicMath.Min((w + g.PadW) / g.StrideW, g.OutW - 1);
            long planeBase = (long)plane * g.OutH * g.OutW;

            float sum = 0f;
            for (int oh = ohFirst; oh <= ohLast; oh++)
            {
                for (int ow = owFirst; ow <= owLast; ow++)
                {
                    long at = planeBase + oh * g.OutW + ow;
                    if (indices[at] == flat)
                        sum += dy[at];
                }
            }
            dx[i] = accumulate != 0 ? dx[i] + sum : sum;
        }
    }

    /// <summary><c>max(0, ceil(a / b))</c> for positive b.</summary>
    internal static int CeilDivNonNegative(int a, int b) => a <= 0 ? 0 : (a + b - 1) / b;
}
