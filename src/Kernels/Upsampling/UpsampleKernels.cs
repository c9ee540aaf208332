using ILGPU;

namespace Engine.Kernels.Upsampling;

/// <summary>
/// Bilinear and nearest-neighbour resampling (PyTorch's <c>interpolate</c>), forward and
/// backward. The backward passes are gathers: each input pixel walks the outputs that can read
/// it and recomputes their weights exactly as the forward did.
/// </summary>
public static class UpsampleKernels
{
    /// <summary>One work-item per output element: the lambda-weighted mix of the four neighbours.</summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>Planes * OutH * OutW</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="g">Geometry.</param>
    [Loader("Upsample.BilinearForward")]
    public static void BilinearForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, UpsampleGeometry g)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int ow = i % g.OutW;
            int rest = i / g.OutW;
            int oh = rest % g.OutH;
            int plane = rest / g.OutH;
            Source(oh, g.ScaleH, g.H, g.AlignCorners, out int h0, out int h1, out float lh);
            Source(ow, g.ScaleW, g.W, g.AlignCorners, out int w0, out int w1, out float lw);
            long b = (long)plane * g.H * g.W;
            float top = (1f - lw) * x[b + h0 * g.W + w0] + lw * x[b + h0 * g.W + w1];
            float bottom = (1f - lw) * x[b + h1 * g.W + w0] + lw * x[b + h1 * g.W + w1];
            y[i] = (1f - lh) * top + lh * bottom;
        }
    }

    /// <summary>
    /// One work-item per input pixel: <c>dx[h, w] = sum over outputs (oh, ow) of wH(oh, h) * wW(ow, w) * dy[oh, ow]</c>.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>Planes * H * W</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dy">Output gradient <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="dx">Input gradient <c>[N, C, H, W]</c>.</param>
    /// <param name="g">Geometry.</param>
    /// <param name="accumulate">1 to add to dx, 0 to overwrite it.</param>
    [Loader("Upsample.BilinearBackward")]
    public static void BilinearBackward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<float> dx, UpsampleGeometry g, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int w = i % g.W;
            int rest = i / g.W;
            int h = rest % g.H;
            int plane = rest / g.H;
            Candidates(h, g.ScaleH, g.OutH, out int ohFirst, out int ohLast);
            Candidates(w, g.ScaleW, g.OutW, out int owFirst, out int owLast);
            long b = (long)plane * g.OutH * g.OutW;
            float sum = 0f;
            for (int oh = ohFirst; oh <= ohLast; oh++)
            {
                float wh = Weight(oh, h, g.ScaleH, g.H, g.AlignCorners);
                if (wh == 0f)
                    continue;
                float row = 0f;
                for (int ow = owFirst; ow <= owLast; ow++)
                {
                    float ww = Weight(ow, w, g.ScaleW, g.W, g.AlignCorners);
                    row += ww * dy[b + oh * g.OutW + ow];
                }
                sum += wh * row;
            }
            dx[i] = accumulate != 0 ? dx[i] + sum : sum;
        }
    }

    /// <summary>One work-item per output element: <c>x[floor(oh * scaleH), floor(ow * scaleW)]</c>, clamped.</summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>Planes * OutH * OutW</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="g">Geometry.</param>
    [Loader("Upsample.NearestForward")]
    public static void NearestForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, UpsampleGeometry g)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int ow = i % g.OutW;
            int rest = i / g.OutW;
            int oh = rest % g.OutH;
            int plane = rest / g.OutH;
            int h = Nearest(oh, g.ScaleH, g.H);
            int w = Nearest(ow, g.ScaleW, g.W);
            y[i] = x[((long)plane * g.H + h) * g.W + w];
        }
    }

    /// <summary>One work-item per input pixel: the sum of the gradients of the outputs that copied it.</summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>Planes * H * W</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dy">Output gradient <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="dx">Input gradient <c>[N, C, H, W]</c>.</param>
    /// <param name="g">Geometry.</param>
    /// <param name="accumulate">1 to add to dx, 0 to overwrite it.</param>
    [Loader("Upsample.NearestBackward")]
    public static void NearestBackward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<float> dx, UpsampleGeometry g, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int w = i % g.W;
            int rest = i / g.W;
            int h = rest % g.H;
            int plane = rest / g.H;
            Candidates(h, g.ScaleH, g.OutH, out int ohFirst, out int ohLast);
            Candidates(w, g.ScaleW, g.OutW, out int owFirst, out int owLast);
            long b = (long)plane * g.OutH * g.OutW;
            float sum = 0f;
            for (int oh = ohFirst; oh <= ohLast; oh++)
            {
                if (Nearest(oh, g.ScaleH, g.H) != h)
                    continue;
                for (int ow = owFirst; ow <= owLast; ow++)
                {
                    if (Nearest(ow, g.ScaleW, g.W) == w)
                        sum += dy[b + oh * g.OutW + ow];
                }
            }
            dx[i] = accumulate != 0 ? dx[i] + sum : sum;
        }
    }

    /// <summary>PyTorch's source index and weight for destination <paramref name="d"/> along one axis.</summary>
    public static void Source(int d, float scale, int size, int alignCorners, out int i0, out int i1, out float lambda)
    {
        float src = alignCorners != 0 ? scale * d : IntrinsicMath.Max(scale * (d + 0.5f) - 0.5f, 0f);
        i0 = (int)src; // src >= 0, so truncation is floor
        if (i0 > size - 1)
            i0 = size - 1;
        i1 = i0 < size - 1 ? i0 + 1 : i0;
        lambda = src - i0;
        if (i1 == i0)
            lambda = 0f; // PyTorch: at the last row the weight sits on i0 alone
    }

    /// <summary>The weight destination <paramref name="d"/> gives source <paramref name="s"/> (both neighbours counted).</summary>
    private static float Weight(int d, int s, float scale, int size, int alignCorners)
    {
        Source(d, scale, size, alignCorners, out int i0, out int i1, out float lambda);
        float weight = 0f;
        if (i0 == s)
            weight += 1f - lambda;
        if (i1 == s)
            weight += lambda;
        return weight;
    }

    /// <summary>PyTorch's nearest source index: <c>min(floor(d * scale), size - 1)</c>.</summary>
    private static int Nearest(int d, float scale, int size)
    {
        int s = (int)XMathFloor(d * scale);
        return s < size - 1 ? s : size - 1;
    }

    private static float XMathFloor(float v) => v >= 0f ? (int)v : (int)v - ((int)v == v ? 0 : 1);

    /// <summary>
    /// A conservative range of destinations that can read source <paramref name="s"/>. Bilinear
    /// destinations read s when their source coordinate is within one pixel of it, that is
    /// <c>d</c> in <c>((s - 0.5) / scale - 0.5, (s + 1.5) / scale - 0.5)</c> (align_corners=false) or
    /// <c>((s - 1) / scale, (s + 1) / scale)</c> (true); nearest ones when <c>d</c> is in
    /// <c>[s / scale, (s + 1) / scale)</c>. <c>[(s - 1.5) / scale - 2, (s + 2) / scale + 2]</c> covers
    /// all three with room for rounding; the caller checks each candidate exactly.
    /// </summary>
    private static void Candidates(int s, float scale, int outSize, out int first, out int last)
    {
        if (scale <= 0f)
        {
            first = 0;
            last = outSize - 1; // align_corners with one output: every destination reads index 0
            return;
        }
        float low = (s - 1.5f) / scale - 2f;
        float high = (s + 2f) / scale + 2f;
        first = low <= 0f ? 0 : (int)IntrinsicMath.Min(low, outSize);
        last = high >= outSize - 1 ? outSize - 1 : (int)high;
    }
}
