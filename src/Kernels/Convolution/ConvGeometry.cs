namespace Engine.Kernels.Convolution;

/// <summary>
/// The geometry of one 2-D convolution (cross-correlation), PyTorch's semantics:
/// input <c>[N, Cin, H, W]</c>, weight <c>[Cout, Cin/Groups, KH, KW]</c>, output
/// <c>[N, Cout, OutH, OutW]</c>, <c>OutH = floor((H + 2 PadH - DilationH (KH - 1) - 1) / StrideH) + 1</c>.
/// Built and validated by the engine once per call or graph node; kernels trust it.
/// </summary>
public readonly struct ConvGeometry
{
    /// <summary>Batch size.</summary>
    public readonly int N;
    /// <summary>Input channels (all groups).</summary>
    public readonly int InChannels;
    /// <summary>Input height.</summary>
    public readonly int H;
    /// <summary>Input width.</summary>
    public readonly int W;
    /// <summary>Output channels (all groups).</summary>
    public readonly int OutChannels;
    /// <summary>Kernel height.</summary>
    public readonly int KH;
    /// <summary>Kernel width.</summary>
    public readonly int KW;
    /// <summary>Vertical stride.</summary>
    public readonly int StrideH;
    /// <summary>Horizontal stride.</summary>
    public readonly int StrideW;
    /// <summary>Zero padding on the top and bottom.</summary>
    public readonly int PadH;
    /// <summary>Zero padding on the left and right.</summary>
    public readonly int PadW;
    /// <summary>Vertical dilation (distance between kernel taps).</summary>
    public readonly int DilationH;
    /// <summary>Horizontal dilation.</summary>
    public readonly int DilationW;
    /// <summary>Number of groups; channels are split evenly among them.</summary>
    public readonly int Groups;
    /// <summary>Output height.</summary>
    public readonly int OutH;
    /// <summary>Output width.</summary>
    public readonly int OutW;

    /// <summary>Stores the fields; the engine computes <paramref name="outH"/> and <paramref name="outW"/> and validates everything.</summary>
    public ConvGeometry(int n, int inChannels, int h, int w, int outChannels, int kh, int kw,
        int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups, int outH, int outW)
    {
        N = n; InChannels = inChannels; H = h; W = w; OutChannels = outChannels; KH = kh; KW = kw;
        StrideH = strideH; StrideW = strideW; PadH = padH; PadW = padW;
        DilationH = dilationH; DilationW = dilationW; Groups = groups; OutH = outH; OutW = outW;
    }

    /// <summary>Input channels per group.</summary>
    public int InChannelsPerGroup => InChannels / Groups;

    /// <summary>Output channels per group.</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Rows of one group's column matrix: <c>Cin/Groups * KH * KW</c>.</summary>
    public int ColumnRows => InChannelsPerGroup * KH * KW;

    /// <summary>Columns of the column matrix: <c>OutH * OutW</c>.</summary>
    public int ColumnCols => OutH * OutW;
}
