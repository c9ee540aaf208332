using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Activation;

namespace Engine.Modules.Layers;

/// <summary>An activation as a module (<c>nn.ReLU</c>, <c>nn.LeakyReLU</c>, <c>nn.Sigmoid</c>, <c>nn.Tanh</c>).</summary>
public sealed class Activation(ActivationKind kind, float negativeSlope = 0.01f) : Module
{
    /// <summary>The activation.</summary>
    public ActivationKind Kind { get; } = kind;

    /// <inheritdoc/>
    protected override Node Forward(Node input) => Kind switch
    {
        ActivationKind.Relu => input.Relu(),
        ActivationKind.LeakyRelu => input.LeakyRelu(negativeSlope),
        ActivationKind.Sigmoid => input.Sigmoid(),
        _ => input.Tanh(),
    };
}
