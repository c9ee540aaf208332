using Engine.Ops.Layout;
using Engine.Ops.Linear;
using Engine.Ops.Random;

namespace Engine.Graph.Nodes;

/// <summary>A reshape (flatten) node: copies the values in the new shape; the gradient is copied back.</summary>
public sealed class ReshapeNode(string name, Node x) : GraphOp(name, x)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => AddOp.Route(c.Value(Inputs[0]), c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            AddOp.Route(c.Grad(Outputs[0])!, dx, 1f, accumulate);
    }
}
