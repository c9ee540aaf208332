using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;

namespace Engine.Graph.Nodes;

/// <summary>avg_pool2d node.</summary>
public sealed class AvgPool2dNode(string name, Pool2dSpec spec, Node x) : GraphOp(name, x)
{
    /// <summary>The pooling's geometry.</summary>
    public Pool2dSpec Spec => spec;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => AvgPool2dOp.Forward(spec, c.Value(Inputs[0]), c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            AvgPool2dOp.Backward(spec, c.Grad(Outputs[0])!, dx, accumulate);
    }
}
