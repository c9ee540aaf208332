using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// Entries of a convolution's column matrices read straight from the tensors, for the implicit-GEMM
/// kernels: what <see cref="Im2ColKernels"/> writes to a column buffer, computed where the GEMM's
/// tile loads need it. Indices are split with the host's multiply-shift divisors
/// (<see cref="ConvDivisors"/>) and are 32-bit within one image (the engine checks an image's
/// channels fit). Every read stays inside the view (padding reads the image's first element and
/// returns zero in its place).
/// </summary>
public static class ConvGather
{
    /// <summary>
    /// Column-matrix entry <c>(row, pixel)</c> of one image: row <c>(c * KH + kh) * KW + kw</c> of the
    /// group's channels, output pixel <c>oh * OutW + ow</c>, that is
    /// <c>x[c, oh * s - p + kh * d, ow * s - p + kw * d]</c>, zero outside the input.
    /// </summary>
    /// <param name="x">The group's channels of one image: <c>[CinG, H, W]</c>.</param>
    /// <param name="g">The convolution.</param>
    /// <param name="d">Its divisors.</param>
    /// <param name="row">Row of the column matrix.</param>
    /// <param name="pixel">Output pixel (column).</param>
    public static float Input(ArrayView<float> x, ConvGeometry g, ConvDivisors d, int row, int pixel)
    {
        int channel = SplitRow(d, row, out int kh, out int kw);
        int oh = d.OutW.DivRem(pixel, out int ow);
        int ih = oh * g.StrideH - g.PadH + kh * g.DilationH;
        int iw = ow * g.StrideW - g.PadW + kw * g.DilationW;
        bool inside = (uint)ih < (uint)g.H && (uint)iw < (uint)g.W;
        float value = x[(channel * g.H + (inside ? ih : 0)) * g.W + (inside ? iw : 0)];
        return inside ? value : 0f;
    }

    /// <summary>
    /// Entry <c>(row, pixel)</c> of the matrix whose product with the transposed weights is the input
    /// gradient: row <c>co * KH * KW + kh * KW + kw</c>, input pixel <c>ih * W + iw</c>, holding
    /// <c>dy[co, oh, ow]</c> where <c>oh * s - p + kh * d = ih</c> (and likewise for w), zero where no
    /// output position reads that input through that tap. The sum over rows is col2im's gather.
    /// </summary>
    /// <param name="dy">The group's channels of one image's output gradient: <c>[CoutG, OutH, OutW]</c>.</param>
    /// <param name="mask">With <paramref name="masked"/> 1, the pre-activation of the ReLU whose output gradient <paramref name="dy"/> is, shaped as it: entries where it is not positive read zero.</param>
    /// <param name="masked">1 to apply <paramref name="mask"/>, 0 to ignore it.</param>
    /// <param name="g">The convolution.</param>
    /// <param name="d">Its divisors.</param>
    /// <param name="row">Row: output channel and tap.</param>
    /// <param name="pixel">Input pixel (column).</param>
    public static float OutputGradient(ArrayView<float> dy, ArrayView<float> mask, int masked, ConvGeometry g, ConvDivisors d, int row, int pixel)
    {
        int channel = SplitRow(d, row, out int kh, out int kw);
        int ih = d.W.DivRem(pixel, out int iw);
        int th = ih + g.PadH - kh * g.DilationH;
        int tw = iw + g.PadW - kw * g.DilationW;
        int oh = d.StrideH.Divide(th < 0 ? 0 : th);
        int ow = d.StrideW.Divide(tw < 0 ? 0 : tw);
        bool inside = th >= 0 && tw >= 0 && oh * g.StrideH == th && ow * g.StrideW == tw && oh < g.OutH && ow < g.OutW;
        int index = (channel * g.OutH + (inside ? oh : 0)) * g.OutW + (inside ? ow : 0);
        return ThroughRelu(dy, mask, masked, index, inside);
    }

    /// <summary>
    /// <c>gradient[index]</c>, or 0 when not <paramref name="inside"/>; with <paramref name="masked"/> 1
    /// also 0 where <c>mask[index] &lt;= 0</c>: the gradient through a ReLU whose pre-activation is the
    /// mask, as ReLU's backward writes it (a NaN pre-activation passes the gradient).
    /// </summary>
    /// <param name="gradient">The ReLU output's gradient (or a plain gradient).</param>
    /// <param name="mask">The pre-activation, shaped as <paramref name="gradient"/>.</param>
    /// <param name="masked">1 to apply the mask.</param>
    /// <param name="index">A valid index into both views.</param>
    /// <param name="inside">False for a padding entry, which reads 0.</param>
    public static float ThroughRelu(ArrayView<float> gradient, ArrayView<float> mask, int masked, long index, bool inside)
    {
        float value = gradient[index];
        bool dropped = masked != 0 && mask[index] <= 0f;
        return inside && !dropped ? value : 0f;
    }

    // Row (c * KH + kh) * KW + kw of a column matrix: returns c, with the tap's kh and kw.
    private static int SplitRow(ConvDivisors d, int row, out int kh, out int kw)
    {
        int channel = d.Taps.DivRem(row, out int tap);
        kh = d.KW.DivRem(tap, out kw);
        return channel;
    }
}
