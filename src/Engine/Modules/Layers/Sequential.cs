using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Activation;

namespace Engine.Modules.Layers;

/// <summary><c>nn.Sequential</c>: children named 0, 1, 2, ... called in order.</summary>
public sealed class Sequential : Module
{
    /// <summary>Creates the container.</summary>
    public Sequential(params Module[] layers)
    {
        for (int i = 0; i < layers.Length; i++)
            Register(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var x = input;
        foreach (var (name, child) in Children)
            x = child.Call(x, name);
        return x;
    }
}
