using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine.Modules.Layers;

/// <summary><c>nn.Conv2d</c>: weight <c>[out, in/groups, kH, kW]</c> and optional bias, Kaiming-uniform initialised.</summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer; PyTorch's defaults (stride 1, padding 0, dilation 1, groups 1, bias).</summary>
    public Conv2d(int inChannels, int outChannels, Pair kernelSize, Pair? stride = null, Pair? padding = null, Pair? dilation = null,
        int groups = 1, bool bias = true)
    {
        if (inChannels <= 0 || outChannels <= 0 || groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: channels {inChannels} -> {outChannels} must be positive and divisible by groups {groups}.");
        Stride = stride ?? 1;
        Padding = padding ?? 0;
        Dilation = dilation ?? 1;
        Groups = groups;
        int fanIn = inChannels / groups * kernelSize.H * kernelSize.W;
        Weight = RegisterParameter("weight", new Shape(outChannels, inChannels / groups, kernelSize.H, kernelSize.W), new Initializer.FanInUniform(fanIn));
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
    /// <summary>Dilation.</summary>
    public Pair Dilation { get; }
    /// <summary>Groups.</summary>
    public int Groups { get; }

    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var spec = Conv2dSpec.Create(input.Shape, Weight.Shape, Stride, Padding, Dilation, Groups);
        var g = input.Graph;
        return g.Add(new Conv2dNode(g.OpName("conv2d"), spec, input, Weight, Bias), (spec.OutputShape, ValueKind.Float))[0];
    }
}
