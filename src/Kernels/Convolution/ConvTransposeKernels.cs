using ILGPU;

namespace Engine.Kernels.Convolution;

/// <summary>
/// The two rearrangements that turn a transposed convolution into an ordinary stride-1
/// convolution (the zero-dilation formulation): spread the input out with zeros, and flip and
/// channel-swap the kernel.
/// </summary>
public static class ConvTransposeKernels
{
    /// <summary>
    /// Zero-dilates and pads: <c>xd[n, c, hd, wd] = x[n, c, (hd - padTop) / s, (wd - padLeft) / s]</c>
    /// where both divisions are exact and in range, else 0. A negative pad crops instead.
    /// One work-item per element of xd.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over <c>N * C * Hd * Wd</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="xd">Dilated input <c>[N, C, Hd, Wd]</c>.</param>
    /// <param name="h">H.</param>
    /// <param name="w">W.</param>
    /// <param name="hd">Hd.</param>
    /// <param name="wd">Wd.</param>
    /// <param name="strideH">Vertical stride s (stride-1 zeros go between rows).</param>
    /// <param name="strideW">Horizontal stride.</param>
    /// <param name="padTop">Rows of zeros above: <c>DilationH * (KH - 1) - PadH</c>.</param>
    /// <param name="padLeft">Columns of zeros on the left.</param>
    [Loader("ZeroDilate")]
    [Loader("BedOfNails.Forward", Member = "BedOfNailsForward")]
    public static void ZeroDilate(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> xd,
        int h, int w, int hd, int wd, int strideH, int strideW, int padTop, int padLeft)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int col = i % wd;
            int rest = i / wd;
            int row = rest % hd;
            int plane = rest / hd;
            int sh = row - padTop;
            int sw = col - padLeft;
            bool hit = sh >= 0 && sw >= 0 && sh % strideH == 0 && sw % strideW == 0
                && sh / strideH < h && sw / strideW < w;
            long at = hit ? ((long)plane * h + sh / strideH) * w + sw / strideW : 0; // always a valid index
            float v = x[at];
            xd[i] = hit ? v : 0f;
        }
    }

    /// <summary>
    /// Transposed-convolution weight <c>[Cin, Cout/G, KH, KW]</c> to the equivalent convolution
    /// weight <c>[Cout, Cin/G, KH, KW]</c>: <c>w2[g*CoutG + co, ci, kh, kw] = w[g*CinG + ci, co, KH-1-kh, KW-1-kw]</c>.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over w2.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="w">Transposed-convolution weight.</param>
    /// <param name="w2">Convolution weight.</param>
    /// <param name="inPerGroup">Cin / G.</param>
    /// <param name="outPerGroup">Cout / G.</param>
    /// <param name="kh">KH.</param>
    /// <param name="kw">KW.</param>
    [Loader("FlipSwapWeights")]
    public static void FlipSwapWeights(Index1D thread, WorkRange work, ArrayView<float> w, ArrayView<float> w2, int inPerGroup, int outPerGroup, int kh, int kw)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int x = i % kw;
            int rest = i / kw;
            int y = rest % kh;
            rest /= kh;
            int ci = rest % inPerGroup;
            int oc = rest / inPerGroup; // g * CoutG + co
            int g = oc / outPerGroup;
            int co = oc % outPerGroup;
            long source = (((long)(g * inPerGroup + ci) * outPerGroup + co) * kh + (kh - 1 - y)) * kw + (kw - 1 - x);
            w2[i] = w[source];
        }
    }
}
