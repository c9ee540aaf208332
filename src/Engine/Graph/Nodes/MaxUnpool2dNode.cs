using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;

namespace Engine.Graph.Nodes;

/// <summary>max_unpool2d node: values and the indices of an earlier max pooling.</summary>
public sealed class MaxUnpool2dNode(string name, MaxUnpool2dSpec spec, Node x, Node indices) : GraphOp(name, x, indices)
{
    /// <summary>The unpooling's sizes.</summary>
    public MaxUnpool2dSpec Spec => spec;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[1]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => MaxUnpool2dOp.Forward(spec, c.Value(Inputs[0]), c.IntValue(Inputs[1]), c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            MaxUnpool2dOp.Backward(spec, c.Grad(Outputs[0])!, c.IntValue(Inputs[1]), dx, accumulate);
    }
}
