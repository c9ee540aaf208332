namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// The divisors a convolution's gathers split their indices by, as multiply-shift constants made on
/// the host (<see cref="FastDivisor"/>): a column-matrix row into channel and tap, a tap into kernel
/// row and column, an output or input pixel into row and column, and an offset into stride steps.
/// No division instruction or routine runs in the implicit GEMMs' K loops.
/// </summary>
public readonly struct ConvDivisors
{
    /// <summary>Taps per kernel, <c>KH * KW</c>.</summary>
    public readonly FastDivisor Taps;
    /// <summary>Kernel width.</summary>
    public readonly FastDivisor KW;
    /// <summary>Output width.</summary>
    public readonly FastDivisor OutW;
    /// <summary>Input width.</summary>
    public readonly FastDivisor W;
    /// <summary>Vertical stride.</summary>
    public readonly FastDivisor StrideH;
    /// <summary>Horizontal stride.</summary>
    public readonly FastDivisor StrideW;
    /// <summary>Output pixels per channel, <c>OutH * OutW</c>.</summary>
    public readonly FastDivisor OutPlane;

    /// <summary>The divisors of <paramref name="g"/>.</summary>
    public ConvDivisors(ConvGeometry g)
    {
        Taps = new FastDivisor(g.KH * g.KW);
        KW = new FastDivisor(g.KW);
        OutW = new FastDivisor(g.OutW);
        W = new FastDivisor(g.W);
        StrideH = new FastDivisor(g.StrideH);
        StrideW = new FastDivisor(g.StrideW);
        OutPlane = new FastDivisor(g.OutH * g.OutW);
    }
}
