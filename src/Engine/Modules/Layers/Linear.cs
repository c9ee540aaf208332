using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Tensors;

namespace Engine.Modules.Layers;

/// <summary><c>nn.Linear</c>: <c>y = x W^T + b</c>, W <c>[out, in]</c>.</summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"Linear: features {inFeatures} -> {outFeatures} must be positive.");
        Weight = RegisterParameter("weight", new Shape(outFeatures, inFeatures), new Initializer.FanInUniform(inFeatures));
        Bias = bias ? RegisterParameter("bias", new Shape(outFeatures), new Initializer.FanInUniform(inFeatures)) : null;
    }

    /// <summary>The weight.</summary>
    public Parameter Weight { get; }
    /// <summary>The bias, if any.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        if (input.Shape.Rank != 2 || input.Shape[1] != Weight.Shape[1])
            throw new ArgumentException($"Linear: input must be [N, {Weight.Shape[1]}] for weight {Weight.Shape}, got {input.Shape}.");
        var g = input.Graph;
        return g.Add(new LinearNode(g.OpName("linear"), input, Weight, Bias), (new Shape(input.Shape[0], Weight.Shape[0]), ValueKind.Float))[0];
    }
}
