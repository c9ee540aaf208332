using Engine.Kernels.Convolution;
using Engine.Tensors;

namespace Engine.Ops.Convolution;

/// <summary>
/// A validated 2-D convolution: PyTorch's <c>conv2d</c> semantics for an input and weight shape.
/// Built once (per call or per graph node); every error names the offending values.
/// </summary>
public sealed record Conv2dSpec
{
    private Conv2dSpec(ConvGeometry geometry) => Geometry = geometry;

    /// <summary>The geometry the kernels take.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>Output shape <c>[N, Cout, OutH, OutW]</c>.</summary>
    public Shape OutputShape => new(Geometry.N, Geometry.OutChannels, Geometry.OutH, Geometry.OutW);

    /// <summary>Weight shape <c>[Cout, Cin/groups, KH, KW]</c>.</summary>
    public Shape WeightShape => new(Geometry.OutChannels, Geometry.InChannelsPerGroup, Geometry.KH, Geometry.KW);

    /// <summary>
    /// Checks an input <c>[N, Cin, H, W]</c> and weight <c>[Cout, Cin/groups, KH, KW]</c> against
    /// stride, padding, dilation and groups, and computes the output size
    /// <c>floor((H + 2p - d (k - 1) - 1) / s) + 1</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Any inconsistency; the message names the values.</exception>
    public static Conv2dSpec Create(Shape input, Shape weight, Pair stride, Pair padding, Pair dilation, int groups)
    {
        const string op = "Conv2d";
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {input}.", nameof(input));
        if (weight.Rank != 4)
            throw new ArgumentException($"{op}: weight must be [Cout, Cin/groups, KH, KW], got {weight}.", nameof(weight));
        CheckPositive(op, "stride", stride);
        CheckPositive(op, "dilation", dilation);
        if (padding.H < 0 || padding.W < 0)
            throw new ArgumentException($"{op}: padding must be non-negative, got {padding}.", nameof(padding));
        if (groups <= 0)
            throw new ArgumentException($"{op}: groups must be positive, got {groups}.", nameof(groups));
        int inChannels = input[1], outChannels = weight[0];
        if (inChannels % groups != 0)
            throw new ArgumentException($"{op}: input channels {inChannels} are not divisible by groups {groups} (input {input}).", nameof(groups));
        if (outChannels % groups != 0)
            throw new ArgumentException($"{op}: output channels {outChannels} are not divisible by groups {groups} (weight {weight}).", nameof(groups));
        if (weight[1] * groups != inChannels)
            throw new ArgumentException($"{op}: weight {weight} expects {weight[1] * groups} input channels with groups {groups}, but input {input} has {inChannels}.", nameof(weight));

        int outH = OutputSize(op, "height", input[2], weight[2], stride.H, padding.H, dilation.H);
        int outW = OutputSize(op, "width", input[3], weight[3], stride.W, padding.W, dilation.W);
        var geometry = new ConvGeometry(input[0], inChannels, input[2], input[3], outChannels, weight[2], weight[3],
            stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups, outH, outW);
        CheckColumnSize(op, geometry);
        return new Conv2dSpec(geometry);
    }

    /// <summary>A spec from a geometry the engine built itself (transposed convolution's passes).</summary>
    internal static Conv2dSpec FromGeometry(ConvGeometry geometry)
    {
        CheckColumnSize("Conv2d", geometry);
        return new Conv2dSpec(geometry);
    }

    /// <summary><c>floor((size + 2 pad - dilation (kernel - 1) - 1) / stride) + 1</c>, which must be positive.</summary>
    internal static int OutputSize(string op, string axis, int size, int kernel, int stride, int pad, int dilation)
    {
        long span = (long)dilation * (kernel - 1) + 1;
        long padded = size + 2L * pad;
        if (span > padded)
            throw new ArgumentException($"{op}: the dilated kernel {axis} {span} (kernel {kernel}, dilation {dilation}) is larger than the padded input {axis} {padded} (input {size}, padding {pad}).");
        return (int)((padded - span) / stride + 1);
    }

    internal static void CheckPositive(string op, string name, Pair value)
    {
        if (value.H <= 0 || value.W <= 0)
            throw new ArgumentException($"{op}: {name} must be positive, got {value}.", name);
    }

    private static void CheckColumnSize(string op, ConvGeometry g)
    {
        long perImage = (long)g.InChannels * g.KH * g.KW * g.OutH * g.OutW;
        if (perImage > int.MaxValue)
            throw new ArgumentException($"{op}: one image's column matrix ({g.InChannels * g.KH * g.KW} x {g.OutH * g.OutW}) exceeds 2^31 elements.");
    }
}
