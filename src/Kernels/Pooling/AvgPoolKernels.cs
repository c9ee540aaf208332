using ILGPU;

namespace Engine.Kernels.Pooling;

/// <summary>
/// Average pooling (PyTorch's divisor rule) and global average pooling, with gather backwards.
/// </summary>
public static class AvgPoolKernels
{
    /// <summary>
    /// One work-item per output element. The divisor is the window clipped to the padded input
    /// when CountIncludePad is 1, else the number of taps inside the input (PyTorch's rule).
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>Planes * OutH * OutW</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="g">Geometry (dilation 1).</param>
    [Loader("AvgPool.Forward")]
    public static void Forward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, PoolGeometry g)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int ow = i % g.OutW;
            int rest = i / g.OutW;
            int oh = rest % g.OutH;
            int plane = rest / g.OutH;
            long planeBase = (long)plane * g.H * g.W;
            int hStart = oh * g.StrideH - g.PadH, wStart = ow * g.StrideW - g.PadW;
            int hEnd = IntrinsicMath.Min(hStart + g.KH, g.H), wEnd = IntrinsicMath.Min(wStart + g.KW, g.W);
            hStart = IntrinsicMath.Max(hStart, 0);
            wStart = IntrinsicMath.Max(wStart, 0);
            float sum = 0f;
            for (int h = hStart; h < hEnd; h++)
                for (int w = wStart; w < wEnd; w++)
                    sum += x[planeBase + h * g.W + w];
            y[i] = sum / Divisor(oh, ow, g);
        }
    }

    /// <summary>
    /// One work-item per input pixel: the sum of <c>dy / divisor</c> over the windows that contain it.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>Planes * H * W</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dy">Output gradient <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="dx">Input gradient <c>[N, C, H, W]</c>.</param>
    /// <param name="g">Geometry (dilation 1).</param>
    /// <param name="accumulate">1 to add to dx, 0 to overwrite it.</param>
    [Loader("AvgPool.Backward")]
    public static void Backward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<float> dx, PoolGeometry g, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int w = i % g.W;
            int rest = i / g.W;
            int h = rest % g.H;
            int plane = rest / g.H;
            int ohFirst = MaxPoolKernels.CeilDivNonNegative(h + g.PadH - (g.KH - 1), g.StrideH);
            int ohLast = IntrinsicMath.Min((h + g.PadH) / g.StrideH, g.OutH - 1);
            int owFirst = MaxPoolKernels.CeilDivNonNegative(w + g.PadW - (g.KW - 1), g.StrideW);
            int owLast = IntrinsicMath.Min((w + g.PadW) / g.StrideW, g.OutW - 1);
            long planeBase = (long)plane * g.OutH * g.OutW;
            float sum = 0f;
            for (int oh = ohFirst; oh <= ohLast; oh++)
                for (int ow = owFirst; ow <= owLast; ow++)
                    sum += dy[planeBase + oh * g.OutW + ow] / Divisor(oh, ow, g);
            dx[i] = accumulate != 0 ? dx[i] + sum : sum;
        }
    }

    /// <summary>PyTorch's avg_pool2d divisor for output (oh, ow).</summary>
    private static float Divisor(int oh, int ow, PoolGeometry g)
    {
        int hStart = oh * g.StrideH - g.PadH, wStart = ow * g.StrideW - g.PadW;
        int hEnd = IntrinsicMath.Min(hStart + g.KH, g.H + g.PadH), wEnd = IntrinsicMath.Min(wStart + g.KW, g.W + g.PadW);
        if (g.CountIncludePad != 0)
            return (hEnd - hStart) * (wEnd - wStart);
        hStart = IntrinsicMath.Max(hStart, 0);
        wStart = IntrinsicMath.Max(wStart, 0);
        hEnd = IntrinsicMath.Min(hEnd, g.H);
        wEnd = IntrinsicMath.Min(wEnd, g.W);
        return (hEnd - hStart) * (wEnd - wStart);
    }

    /// <summary>Global average pooling: <c>y[p] = mean of plane p</c>, one work-item per plane.</summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index p: Plane index over N * C.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C]</c> (or <c>[N, C, 1, 1]</c>).</param>
    /// <param name="plane">H * W.</param>
    [Loader("AvgPool.GlobalForward")]
    public static void GlobalForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, int plane)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D p = element;
            long at = (long)(int)p * plane;
            float sum = 0f;
            for (int s = 0; s < plane; s++)
                sum += x[at + s];
            y[p] = sum / plane;
        }
    }

    /// <summary>Global average pooling backward: <c>dx[p, s] = dy[p] / plane</c>, one work-item per input element.</summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over N * C * H * W.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dy">Output gradient, one value per plane.</param>
    /// <param name="dx">Input gradient.</param>
    /// <param name="plane">H * W.</param>
    /// <param name="accumulate">1 to add to dx, 0 to overwrite it.</param>
    [Loader("AvgPool.GlobalBackward")]
    public static void GlobalBackward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<float> dx, int plane, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = dy[i / plane] / plane;
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }
}
