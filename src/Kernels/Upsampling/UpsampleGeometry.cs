namespace Engine.Kernels.Upsampling;

/// <summary>
/// Resampling of <c>[N, C, H, W]</c> to <c>[N, C, OutH, OutW]</c>. The scales are PyTorch's
/// source-per-destination factors, computed by the engine in its order of operations:
/// <c>(In - 1) / (Out - 1)</c> with align_corners, else <c>1 / scale_factor</c> or <c>In / Out</c>.
/// </summary>
public readonly struct UpsampleGeometry
{
    /// <summary>N * C.</summary>
    public readonly int Planes;
    /// <summary>Input height.</summary>
    public readonly int H;
    /// <summary>Input width.</summary>
    public readonly int W;
    /// <summary>Output height.</summary>
    public readonly int OutH;
    /// <summary>Output width.</summary>
    public readonly int OutW;
    /// <summary>Source rows per destination row.</summary>
    public readonly float ScaleH;
    /// <summary>Source columns per destination column.</summary>
    public readonly float ScaleW;
    /// <summary>1 for align_corners=True (bilinear only).</summary>
    public readonly int AlignCorners;

    /// <summary>Stores the fields; the engine validates them.</summary>
    public UpsampleGeometry(int planes, int h, int w, int outH, int outW, float scaleH, float scaleW, int alignCorners)
    {
        Planes = planes; H = h; W = w; OutH = outH; OutW = outW; ScaleH = scaleH; ScaleW = scaleW; AlignCorners = alignCorners;
    }
}
