using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Activation;

namespace Engine.Modules.Layers;

/// <summary><c>nn.ReLU</c>.</summary>
public static class ReLU
{
    /// <summary>A ReLU module.</summary>
    public static Activation Create() => new(ActivationKind.Relu);
}
