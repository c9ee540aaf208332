using Engine.Kernels.Convolution;
using Engine.Tensors;

namespace Engine.Ops.Convolution;

/// <summary>
/// A validated 2-D transposed convolution, PyTorch's <c>conv_transpose2d</c>: input
/// <c>[N, Cin, H, W]</c>, weight <c>[Cin, Cout/groups, KH, KW]</c>, output height
/// <c>(H - 1) s - 2 p + d (k - 1) + output_padding + 1</c>.
/// </summary>
public sealed record ConvTranspose2dSpec
{
    private ConvTranspose2dSpec() { }

    /// <summary>Batch size.</summary>
    public int N { get; private init; }
    /// <summary>Input channels.</summary>
    public int InChannels { get; private init; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; private init; }
    /// <summary>Input height and width.</summary>
    public Pair InputSize { get; private init; }
    /// <summary>Output height and width.</summary>
    public Pair OutputSize { get; private init; }
    /// <summary>Kernel height and width.</summary>
    public Pair Kernel { get; private init; }
    /// <summary>Stride.</summary>
    public Pair Stride { get; private init; }
    /// <summary>Padding.</summary>
    public Pair Padding { get; private init; }
    /// <summary>Extra rows and columns at the bottom and right.</summary>
    public Pair OutputPadding { get; private init; }
    /// <summary>Dilation.</summary>
    public Pair Dilation { get; private init; }
    /// <summary>Groups.</summary>
    public int Groups { get; private init; }

    /// <summary>Output shape <c>[N, Cout, OutH, OutW]</c>.</summary>
    public Shape OutputShape => new(N, OutChannels, OutputSize.H, OutputSize.W);

    /// <summary>Input shape <c>[N, Cin, H, W]</c>.</summary>
    public Shape InputShape => new(N, InChannels, InputSize.H, InputSize.W);

    /// <summary>Weight shape <c>[Cin, Cout/groups, KH, KW]</c>.</summary>
    public Shape WeightShape => new(InChannels, OutChannels / Groups, Kernel.H, Kernel.W);

    /// <summary>Size of the zero-dilated, padded input the forward pass convolves.</summary>
    internal Pair DilatedSize => new(
        (InputSize.H - 1) * Stride.H + 1 + 2 * PadBefore.H + OutputPadding.H,
        (InputSize.W - 1) * Stride.W + 1 + 2 * PadBefore.W + OutputPadding.W);

    /// <summary>Zeros added before the first dilated row/column: <c>d (k - 1) - p</c> (negative crops).</summary>
    internal Pair PadBefore => new(Dilation.H * (Kernel.H - 1) - Padding.H, Dilation.W * (Kernel.W - 1) - Padding.W);

    /// <summary>The stride-1 convolution of the dilated input with the flipped, channel-swapped weight.</summary>
    internal ConvGeometry ForwardGeometry => new(N, InChannels, DilatedSize.H, DilatedSize.W, OutChannels, Kernel.H, Kernel.W,
        1, 1, 0, 0, Dilation.H, Dilation.W, Groups, OutputSize.H, OutputSize.W);

    /// <summary>
    /// The convolution whose input gradient this transposed convolution is: it maps the output
    /// (Cout channels) back to the input size with the same weight, seen as <c>[Cin, Cout/G, KH, KW]</c>.
    /// Its input gradient is the transposed convolution; its forward is the transposed convolution's input gradient.
    /// </summary>
    internal ConvGeometry AdjointGeometry => new(N, OutChannels, OutputSize.H, OutputSize.W, InChannels, Kernel.H, Kernel.W,
        Stride.H, Stride.W, Padding.H, Padding.W, Dilation.H, Dilation.W, Groups, InputSize.H, InputSize.W);

    /// <summary>Checks the shapes and parameters and computes the output size.</summary>
    /// <exception cref="ArgumentException">Any inconsistency; the message names the values.</exception>
    public static ConvTranspose2dSpec Create(Shape input, Shape weight, Pair stride, Pair padding, Pair outputPadding, Pair dilation, int groups)
    {
        const string op = "ConvTranspose2d";
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {input}.", nameof(input));
        if (weight.Rank != 4)
            throw new ArgumentException($"{op}: weight must be [Cin, Cout/groups, KH, KW], got {weight}.", nameof(weight));
        Conv2dSpec.CheckPositive(op, "stride", stride);
        Conv2dSpec.CheckPositive(op, "dilation", dilation);
        if (padding.H < 0 || padding.W < 0)
            throw new ArgumentException($"{op}: padding must be non-negative, got {padding}.", nameof(padding));
        if (outputPadding.H < 0 || outputPadding.W < 0)
            throw new ArgumentException($"{op}: output_padding must be non-negative, got {outputPadding}.", nameof(outputPadding));
        if (outputPadding.H >= Math.Max(stride.H, dilation.H) || outputPadding.W >= Math.Max(stride.W, dilation.W))
            throw new ArgumentException($"{op}: output_padding {outputPadding} must be smaller than max(stride, dilation) per axis (stride {stride}, dilation {dilation}).", nameof(outputPadding));
        if (groups <= 0)
            throw new ArgumentException($"{op}: groups must be positive, got {groups}.", nameof(groups));
        int inChannels = input[1];
        if (weight[0] != inChannels)
            throw new ArgumentException($"{op}: weight {weight} expects {weight[0]} input channels, but input {input} has {inChannels}.", nameof(weight));
        if (inChannels % groups != 0)
            throw new ArgumentException($"{op}: input channels {inChannels} are not divisible by groups {groups}.", nameof(groups));
        int outH = (input[2] - 1) * stride.H - 2 * padding.H + dilation.H * (weight[2] - 1) + outputPadding.H + 1;
        int outW = (input[3] - 1) * stride.W - 2 * padding.W + dilation.W * (weight[3] - 1) + outputPadding.W + 1;
        if (outH <= 0 || outW <= 0)
            throw new ArgumentException($"{op}: output size ({outH}, {outW}) is not positive for input {input}, kernel ({weight[2]}, {weight[3]}), stride {stride}, padding {padding}, dilation {dilation}.");
        var spec = new ConvTranspose2dSpec
        {
            N = input[0], InChannels = inChannels, OutChannels = weight[1] * groups,
            InputSize = new Pair(input[2], input[3]), OutputSize = new Pair(outH, outW), Kernel = new Pair(weight[2], weight[3]),
            Stride = stride, Padding = padding, OutputPadding = outputPadding, Dilation = dilation, Groups = groups,
        };
        _ = Conv2dSpec.FromGeometry(spec.ForwardGeometry);
        _ = Conv2dSpec.FromGeometry(spec.AdjointGeometry);
        return spec;
    }
}
