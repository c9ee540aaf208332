using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;

namespace Engine.Graph.Nodes;

/// <summary>Global average pooling node: <c>[N, C, H, W]</c> to <c>[N, C]</c>.</summary>
public sealed class GlobalAvgPool2dNode(string name, Node x) : GraphOp(name, x)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => AvgPool2dOp.GlobalForward(c.Value(Inputs[0]), c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            AvgPool2dOp.GlobalBackward(c.Grad(Outputs[0])!, dx, accumulate);
    }
}
