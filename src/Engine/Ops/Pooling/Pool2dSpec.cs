using Engine.Kernels.Pooling;
using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine.Ops.Pooling;

/// <summary>
/// A validated 2-D pooling window over <c>[N, C, H, W]</c>, PyTorch's rules: stride defaults to
/// the kernel size; padding at most half the kernel; output
/// <c>floor_or_ceil((H + 2p - d (k - 1) - 1) / s) + 1</c>, where with ceil_mode a last window that
/// would start in the right padding is dropped.
/// </summary>
public sealed record Pool2dSpec
{
    private Pool2dSpec(PoolGeometry geometry, int n, int channels)
    {
        Geometry = geometry;
        N = n;
        Channels = channels;
    }

    /// <summary>The geometry the kernels take.</summary>
    public PoolGeometry Geometry { get; }

    /// <summary>Batch size.</summary>
    public int N { get; }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>Input shape.</summary>
    public Shape InputShape => new(N, Channels, Geometry.H, Geometry.W);

    /// <summary>Output shape <c>[N, C, OutH, OutW]</c>.</summary>
    public Shape OutputShape => new(N, Channels, Geometry.OutH, Geometry.OutW);

    /// <summary>Checks the window against the input shape and computes the output size.</summary>
    /// <exception cref="ArgumentException">Any inconsistency; the message names the values.</exception>
    public static Pool2dSpec Create(string op, Shape input, Pair kernel, Pair? stride, Pair padding, Pair dilation, bool ceilMode, bool countIncludePad = true)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {input}.", nameof(input));
        Conv2dSpec.CheckPositive(op, "kernel_size", kernel);
        var s = stride ?? kernel;
        Conv2dSpec.CheckPositive(op, "stride", s);
        Conv2dSpec.CheckPositive(op, "dilation", dilation);
        if (padding.H < 0 || padding.W < 0 || padding.H > kernel.H / 2 || padding.W > kernel.W / 2)
            throw new ArgumentException($"{op}: padding {padding} must be non-negative and at most half the kernel size {kernel}.", nameof(padding));
        int outH = OutputSize(op, "height", input[2], kernel.H, s.H, padding.H, dilation.H, ceilMode);
        int outW = OutputSize(op, "width", input[3], kernel.W, s.W, padding.W, dilation.W, ceilMode);
        var geometry = new PoolGeometry(input[0] * input[1], input[2], input[3], kernel.H, kernel.W, s.H, s.W,
            padding.H, padding.W, dilation.H, dilation.W, outH, outW, countIncludePad ? 1 : 0);
        return new Pool2dSpec(geometry, input[0], input[1]);
    }

    private static int OutputSize(string op, string axis, int size, int kernel, int stride, int pad, int dilation, bool ceilMode)
    {
        long span = (long)dilation * (kernel - 1) + 1;
        long padded = size + 2L * pad;
        if (span > padded)
            throw new ArgumentException($"{op}: the window {axis} {span} (kernel {kernel}, dilation {dilation}) is larger than the padded input {axis} {padded} (input {size}, padding {pad}).");
        long numerator = padded - span;
        long output = (ceilMode ? (numerator + stride - 1) / stride : numerator / stride) + 1;
        if (ceilMode && (output - 1) * stride >= size + pad)
            output--; // the last window would start in the right padding
        return (int)output;
    }
}
