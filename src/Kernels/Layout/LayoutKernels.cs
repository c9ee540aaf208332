using ILGPU;

namespace Engine.Kernels.Layout;

/// <summary>
/// Copies between NCHW tensors of different extents: channel slices (concatenation) and
/// spatial windows (centre crop). One work-item per element of the smaller tensor.
/// </summary>
public static class LayoutKernels
{
    /// <summary>
    /// <c>big[n, offset + c, s] = small[n, c, s]</c> (concat forward), or the reverse copy
    /// <c>small = big[n, offset + c, s]</c> when <paramref name="toSmall"/> is 1 (concat backward),
    /// adding into small when <paramref name="accumulate"/> is 1.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over small, <c>N * smallC * plane</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="small">The part <c>[N, smallC, plane]</c>.</param>
    /// <param name="big">The whole <c>[N, bigC, plane]</c>.</param>
    /// <param name="smallC">Channels of the part.</param>
    /// <param name="bigC">Channels of the whole.</param>
    /// <param name="offset">First channel of the part in the whole.</param>
    /// <param name="plane">H * W.</param>
    /// <param name="toSmall">1 to copy from big to small.</param>
    /// <param name="accumulate">With toSmall: 1 to add into small.</param>
    [Loader("ChannelSlice")]
    public static void ChannelSlice(Index1D thread, WorkRange work, ArrayView<float> small, ArrayView<float> big, int smallC, int bigC, int offset, int plane, int toSmall, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int s = i % plane;
            int rest = i / plane;
            int c = rest % smallC;
            int n = rest / smallC;
            long at = ((long)n * bigC + offset + c) * plane + s;
            if (toSmall != 0)
                small[i] = accumulate != 0 ? small[i] + big[at] : big[at];
            else
                big[at] = small[i];
        }
    }

    /// <summary>
    /// <c>y[p, oh, ow] = x[p, top + oh, left + ow]</c> (crop forward). Plane <c>p = n * channels + c</c>
    /// of x goes to plane <c>n * bigC + offset + c</c> of y: y is the crop itself (<c>bigC = channels</c>,
    /// offset 0) or a concatenation the crop is a channel slice of, written in place.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over y, <c>planes * outH * outW</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[planes, H, W]</c>.</param>
    /// <param name="y">Output <c>[planes, outH, outW]</c>.</param>
    /// <param name="h">H.</param>
    /// <param name="w">W.</param>
    /// <param name="outH">Output height.</param>
    /// <param name="outW">Output width.</param>
    /// <param name="top">First row kept.</param>
    /// <param name="left">First column kept.</param>
    /// <param name="channels">Planes of x per image.</param>
    /// <param name="bigC">Planes of y per image.</param>
    /// <param name="offset">The first plane of y an image's planes go to.</param>
    [Loader("Crop")]
    public static void Crop(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, int h, int w, int outH, int outW, int top, int left,
        int channels, int bigC, int offset)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int ow = i % outW;
            int rest = i / outW;
            int oh = rest % outH;
            int p = rest / outH;
            int n = p / channels;
            long target = (((long)n * bigC + offset + p - n * channels) * outH + oh) * outW + ow;
            y[target] = x[((long)p * h + top + oh) * w + left + ow];
        }
    }

    /// <summary>
    /// Crop backward as a gather over the input: <c>dx[p, h, w] = dy[p, h - top, w - left]</c> inside the window, else 0.
    /// Plane <c>p = n * channels + c</c> reads plane <c>n * bigC + offset + c</c> of dy, as <see cref="Crop"/> writes.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over dx, <c>planes * H * W</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dy">Output gradient <c>[planes, outH, outW]</c>.</param>
    /// <param name="dx">Input gradient <c>[planes, H, W]</c>.</param>
    /// <param name="h">H.</param>
    /// <param name="w">W.</param>
    /// <param name="outH">Output height.</param>
    /// <param name="outW">Output width.</param>
    /// <param name="top">First row kept.</param>
    /// <param name="left">First column kept.</param>
    /// <param name="channels">Planes of dx per image.</param>
    /// <param name="bigC">Planes of dy per image.</param>
    /// <param name="offset">The first plane of dy an image's planes come from.</param>
    /// <param name="accumulate">1 to add into dx.</param>
    [Loader("CropBackward")]
    public static void CropBackward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<float> dx, int h, int w, int outH, int outW, int top, int left,
        int channels, int bigC, int offset, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int col = i % w;
            int rest = i / w;
            int row = rest % h;
            int p = rest / h;
            int n = p / channels;
            long plane = (long)n * bigC + offset + p - n * channels;
            int oh = row - top, ow = col - left;
            bool inside = oh >= 0 && oh < outH && ow >= 0 && ow < outW;
            float v = dy[inside ? (plane * outH + oh) * outW + ow : 0]; // always a valid index
            float g = inside ? v : 0f;
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }
}
