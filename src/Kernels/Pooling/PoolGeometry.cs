namespace Engine.Kernels.Pooling;

/// <summary>
/// The geometry of 2-D max or average pooling, PyTorch's semantics: input <c>[N, C, H, W]</c>,
/// output <c>[N, C, OutH, OutW]</c>; window origin <c>oh * StrideH - PadH</c>, taps every
/// <c>DilationH</c>. Built and validated by the engine; kernels trust it.
/// </summary>
public readonly struct PoolGeometry
{
    /// <summary>Number of planes, N * C.</summary>
    public readonly int Planes;
    /// <summary>Input height.</summary>
    public readonly int H;
    /// <summary>Input width.</summary>
    public readonly int W;
    /// <summary>Window height.</summary>
    public readonly int KH;
    /// <summary>Window width.</summary>
    public readonly int KW;
    /// <summary>Vertical stride.</summary>
    public readonly int StrideH;
    /// <summary>Horizontal stride.</summary>
    public readonly int StrideW;
    /// <summary>Padding on the top and bottom.</summary>
    public readonly int PadH;
    /// <summary>Padding on the left and right.</summary>
    public readonly int PadW;
    /// <summary>Vertical dilation (max pooling only; 1 for average pooling).</summary>
    public readonly int DilationH;
    /// <summary>Horizontal dilation.</summary>
    public readonly int DilationW;
    /// <summary>Output height.</summary>
    public readonly int OutH;
    /// <summary>Output width.</summary>
    public readonly int OutW;
    /// <summary>Average pooling: 1 to divide by the window size including padding, 0 by the in-image taps.</summary>
    public readonly int CountIncludePad;

    /// <summary>Stores the fields; the engine computes the output size and validates everything.</summary>
    public PoolGeometry(int planes, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW,
        int dilationH, int dilationW, int outH, int outW, int countIncludePad)
    {
        Planes = planes; H = h; W = w; KH = kh; KW = kw; StrideH = strideH; StrideW = strideW;
        PadH = padH; PadW = padW; DilationH = dilationH; DilationW = dilationW; OutH = outH; OutW = outW;
        CountIncludePad = countIncludePad;
    }
}
