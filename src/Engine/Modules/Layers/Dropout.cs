using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Activation;

namespace Engine.Modules.Layers;

/// <summary><c>nn.Dropout(p)</c>: active in training graphs only.</summary>
public sealed class Dropout : Module
{
    /// <summary>Creates the layer.</summary>
    public Dropout(float p = 0.5f)
    {
        if (!(p >= 0f && p < 1f))
            throw new ArgumentException($"Dropout: p must be in [0, 1), got {p}.", nameof(p));
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public float P { get; }

    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var g = input.Graph;
        return g.Add(new DropoutNode(g.OpName("dropout"), input, P), (input.Shape, ValueKind.Float))[0];
    }
}
