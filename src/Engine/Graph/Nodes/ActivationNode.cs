using Engine.Ops.Activation;

namespace Engine.Graph.Nodes;

/// <summary>Activation node; saves its input (ReLU, LeakyReLU) or its output (Sigmoid, Tanh).</summary>
public sealed class ActivationNode(string name, ActivationKind kind, Node x, float slope = 0.01f) : GraphOp(name, x)
{
    /// <summary>Which activation.</summary>
    public ActivationKind Kind => kind;

    /// <summary>LeakyReLU's negative slope.</summary>
    public float Slope => slope;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [ActivationOp.SavesOutput(kind) ? Outputs[0] : Inputs[0]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => ActivationOp.Forward(kind, c.Value(Inputs[0]), c.Value(Outputs[0]), slope);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            ActivationOp.Backward(kind, c.Value(SavedForBackward.First()), c.Grad(Outputs[0])!, dx, slope, accumulate);
    }
}
