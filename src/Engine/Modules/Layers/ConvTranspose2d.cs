using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine.Modules.Layers;

/// <summary><c>nn.ConvTranspose2d</c>: weight <c>[in, out/groups, kH, kW]</c> and optional bias.</summary>
public sealed class ConvTranspose2d : Module
{
    /// <summary>Creates the layer; PyTorch's defaults.</summary>
    public ConvTranspose2d(int inChannels, int outChannels, Pair kernelSize, Pair? stride = null, Pair? padding = null, Pair? outputPadding = null,
        int groups = 1, bool bias = true, Pair? dilation = null)
    {
        if (inChannels <= 0 || outChannels <= 0 || groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"ConvTranspose2d: channels {inChannels} -> {outChannels} must be positive and divisible by groups {groups}.");
        Stride = stride ?? 1;
        Padding = padding ?? 0;
        OutputPadding = outputPadding ?? 0;
        Dilation = dilation ?? 1;
        Groups = groups;
        // PyTorch computes fan_in from weight.size(1) * kH * kW for transposed convolutions too.
        int fanIn = outChannels / groups * kernelSize.H * kernelSize.W;
        Weight = RegisterParameter("weight", new Shape(inChannels, outChannels / groups, kernelSize.H, kernelSize.W), new Initializer.FanInUniform(fanIn));
        Bias = bias ? RegisterParameter("bias", new Shape(outChannels), new Initializer.FanInUniform(fanIn)) : null;
    }

    /// <summary>The weight.</summary>
    public Parameter Weight { get; }
    /// <summary>The bias, if any.</summary>
    public Parameter? Bias { get; }
    /// <summary>Stride.</summary>
    public Pair Stride { get; }
    /// <summary>Padding.</summary>
    public Pair Padding { get; }
    /// <summary>Output padding.</summary>
    public Pair OutputPadding { get; }
    /// <summary>Dilation.</summary>
    public Pair Dilation { get; }
    /// <summary>Groups.</summary>
    public int Groups { get; }

    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var spec = ConvTranspose2dSpec.Create(input.Shape, Weight.Shape, Stride, Padding, OutputPadding, Dilation, Groups);
        var g = input.Graph;
        return g.Add(new ConvTranspose2dNode(g.OpName("conv_transpose2d"), spec, input, Weight, Bias), (spec.OutputShape, ValueKind.Float))[0];
    }
}
