using Engine.Kernels.Upsampling;
using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine.Ops.Upsampling;

/// <summary>Resampling modes of <c>interpolate</c>.</summary>
public enum InterpolationMode
{
    /// <summary>Nearest neighbour: <c>src = min(floor(dst * scale), In - 1)</c>.</summary>
    Nearest,
    /// <summary>Bilinear, with or without align_corners.</summary>
    Bilinear,
}

/// <summary>
/// A validated <c>interpolate(input, size | scale_factor, mode, align_corners)</c> on
/// <c>[N, C, H, W]</c>. With a scale factor the output is <c>floor(In * scale_factor)</c> and the
/// kernels use <c>1 / scale_factor</c> (PyTorch's default recompute_scale_factor); with a size they
/// use <c>In / Out</c>; align_corners uses <c>(In - 1) / (Out - 1)</c>.
/// </summary>
public sealed record InterpolateSpec
{
    private InterpolateSpec(UpsampleGeometry geometry, int n, int channels, InterpolationMode mode, (double H, double W)? scaleFactor, bool alignCorners)
    {
        Geometry = geometry;
        N = n;
        Channels = channels;
        Mode = mode;
        ScaleFactor = scaleFactor;
        AlignCorners = alignCorners;
    }

    /// <summary>The scale factor asked for, or null when a size was.</summary>
    public (double H, double W)? ScaleFactor { get; }
    /// <summary>align_corners (bilinear only).</summary>
    public bool AlignCorners { get; }

    /// <summary>The geometry the kernels take.</summary>
    public UpsampleGeometry Geometry { get; }
    /// <summary>Batch size.</summary>
    public int N { get; }
    /// <summary>Channels.</summary>
    public int Channels { get; }
    /// <summary>Nearest or bilinear.</summary>
    public InterpolationMode Mode { get; }

    /// <summary>Input shape.</summary>
    public Shape InputShape => new(N, Channels, Geometry.H, Geometry.W);

    /// <summary>Output shape.</summary>
    public Shape OutputShape => new(N, Channels, Geometry.OutH, Geometry.OutW);

    /// <summary>Checks the request: exactly one of size and scale factor, align_corners only for bilinear.</summary>
    /// <exception cref="ArgumentException">Any inconsistency; the message names the values.</exception>
    public static InterpolateSpec Create(Shape input, Pair? size, (double H, double W)? scaleFactor, InterpolationMode mode, bool alignCorners)
    {
        const string op = "Interpolate";
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {input}.", nameof(input));
        if (size.HasValue == scaleFactor.HasValue)
            throw new ArgumentException($"{op}: give exactly one of size and scale_factor (size {size?.ToString() ?? "none"}, scale_factor {scaleFactor?.ToString() ?? "none"}).");
        if (alignCorners && mode == InterpolationMode.Nearest)
            throw new ArgumentException($"{op}: align_corners applies to bilinear interpolation only, not {mode}.", nameof(alignCorners));
        int h = input[2], w = input[3];
        int outH, outW;
        float scaleH, scaleW;
        if (size is Pair s)
        {
            if (s.H <= 0 || s.W <= 0)
                throw new ArgumentException($"{op}: size must be positive, got {s}.", nameof(size));
            outH = s.H;
            outW = s.W;
            scaleH = (float)h / outH;
            scaleW = (float)w / outW;
        }
        else
        {
            var f = scaleFactor!.Value;
            if (!(f.H > 0) || !(f.W > 0) || double.IsInfinity(f.H) || double.IsInfinity(f.W))
                throw new ArgumentException($"{op}: scale_factor must be positive and finite, got {f}.", nameof(scaleFactor));
            outH = (int)Math.Floor(h * f.H);
            outW = (int)Math.Floor(w * f.W);
            if (outH <= 0 || outW <= 0)
                throw new ArgumentException($"{op}: scale_factor {f} gives an empty output ({outH}, {outW}) for input {input}.", nameof(scaleFactor));
            scaleH = (float)(1.0 / f.H);
            scaleW = (float)(1.0 / f.W);
        }
        if (alignCorners)
        {
            scaleH = outH > 1 ? (float)(h - 1) / (outH - 1) : 0f;
            scaleW = outW > 1 ? (float)(w - 1) / (outW - 1) : 0f;
        }
        var geometry = new UpsampleGeometry(input[0] * input[1], h, w, outH, outW, scaleH, scaleW, alignCorners ? 1 : 0);
        return new InterpolateSpec(geometry, input[0], input[1], mode, size is null ? scaleFactor : null, alignCorners);
    }
}
