using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Activation;

namespace Engine.Modules.Layers;

/// <summary><c>nn.Flatten</c> (from dim 1).</summary>
public sealed class Flatten : Module
{
    /// <inheritdoc/>
    protected override Node Forward(Node input) => input.Flatten();
}
