namespace Engine.Kernels.Pooling;

/// <summary>
/// The geometry of 2-D adaptive pooling, PyTorch's window rule: input <c>[N, C, H, W]</c>, output
/// <c>[N, C, OutH, OutW]</c>; output row <c>oh</c> pools input rows
/// <c>[floor(oh * H / OutH), ceil((oh + 1) * H / OutH))</c>, and likewise for columns. Windows
/// overlap where OutH does not divide H, and the output may be larger than the input. Every
/// division is by a divisor fixed at launch (<see cref="FastDivisor"/>); the engine validates
/// that <c>(H + 1) (OutH + 1)</c> and <c>(W + 1) (OutW + 1)</c> fit an int, so no product overflows.
/// </summary>
public readonly struct AdaptivePoolGeometry
{
    /// <summary>Number of planes, N * C.</summary>
    public readonly int Planes;
    /// <summary>Input height.</summary>
    public readonly FastDivisor H;
    /// <summary>Input width.</summary>
    public readonly FastDivisor W;
    /// <summary>Output height.</summary>
    public readonly FastDivisor OutH;
    /// <summary>Output width.</summary>
    public readonly FastDivisor OutW;

    /// <summary>Stores the sizes; the engine validates them.</summary>
    public AdaptivePoolGeometry(int planes, int h, int w, int outH, int outW)
    {
        Planes = planes;
        H = new FastDivisor(h);
        W = new FastDivisor(w);
        OutH = new FastDivisor(outH);
        OutW = new FastDivisor(outW);
    }

    /// <summary>First input row of output row <paramref name="oh"/>: <c>floor(oh * H / OutH)</c>.</summary>
    public int RowStart(int oh) => OutH.Divide(oh * H.Divisor);

    /// <summary>One past the last input row of output row <paramref name="oh"/>: <c>ceil((oh + 1) * H / OutH)</c>.</summary>
    public int RowEnd(int oh) => OutH.Divide((oh + 1) * H.Divisor + OutH.Divisor - 1);

    /// <summary>First input column of output column <paramref name="ow"/>: <c>floor(ow * W / OutW)</c>.</summary>
    public int ColStart(int ow) => OutW.Divide(ow * W.Divisor);

    /// <summary>One past the last input column of output column <paramref name="ow"/>: <c>ceil((ow + 1) * W / OutW)</c>.</summary>
    public int ColEnd(int ow) => OutW.Divide((ow + 1) * W.Divisor + OutW.Divisor - 1);

    /// <summary>
    /// The first output row whose window holds input row <paramref name="h"/>: <c>floor(h * OutH / H)</c>
    /// (RowEnd(oh) &gt; h exactly when (oh + 1) H &gt; h OutH).
    /// </summary>
    public int FirstRowOf(int h) => H.Divide(h * OutH.Divisor);

    /// <summary>
    /// The last output row whose window holds input row <paramref name="h"/>: <c>ceil((h + 1) * OutH / H) - 1</c>
    /// (RowStart(oh) &lt;= h exactly when oh H &lt; (h + 1) OutH). The rows in between all hold it: both bounds grow with oh.
    /// </summary>
    public int LastRowOf(int h) => H.Divide((h + 1) * OutH.Divisor + H.Divisor - 1) - 1;

    /// <summary>The first output column whose window holds input column <paramref name="w"/>: <c>floor(w * OutW / W)</c>.</summary>
    public int FirstColOf(int w) => W.Divide(w * OutW.Divisor);

    /// <summary>The last output column whose window holds input column <paramref name="w"/>: <c>ceil((w + 1) * OutW / W) - 1</c>.</summary>
    public int LastColOf(int w) => W.Divide((w + 1) * OutW.Divisor + W.Divisor - 1) - 1;
}
