using Engine.Ops.Layout;

namespace Engine.Graph.Nodes;

/// <summary>Centre crop of the last two dims.</summary>
public sealed class CenterCropNode(string name, Node x) : GraphOp(name, x)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => CenterCropOp.Forward(c.Value(Inputs[0]), c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            CenterCropOp.Backward(c.Grad(Outputs[0])!, dx, accumulate);
    }
}
