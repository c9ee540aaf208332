using Engine.Ops.Activation;

namespace Engine.Graph.Nodes;

/// <summary>softmax / log_softmax over dim 1; saves its output.</summary>
public sealed class SoftmaxNode(string name, Node x, bool logarithm) : GraphOp(name, x)
{
    /// <summary>log_softmax rather than softmax.</summary>
    public bool Logarithm => logarithm;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Outputs[0]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => SoftmaxOp.Forward(c.Value(Inputs[0]), c.Value(Outputs[0]), logarithm);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            SoftmaxOp.Backward(c.Value(Outputs[0]), c.Grad(Outputs[0])!, dx, logarithm, accumulate);
    }
}
