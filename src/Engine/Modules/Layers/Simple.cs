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

/// <summary><c>nn.ReLU</c>.</summary>
public static class ReLU
{
    /// <summary>A ReLU module.</summary>
    public static Activation Create() => new(ActivationKind.Relu);
}

/// <summary><c>nn.Flatten</c> (from dim 1).</summary>
public sealed class Flatten : Module
{
    /// <inheritdoc/>
    protected override Node Forward(Node input) => input.Flatten();
}

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
