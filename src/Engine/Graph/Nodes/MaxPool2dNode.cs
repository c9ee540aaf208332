using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;

namespace Engine.Graph.Nodes;

/// <summary>max_pool2d node with two outputs: the values and the int32 argmax indices (saved for backward).</summary>
public sealed class MaxPool2dNode(string name, Pool2dSpec spec, Node x) : GraphOp(name, x)
{
    /// <summary>The pooling's geometry.</summary>
    public Pool2dSpec Spec => spec;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Outputs[1]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => MaxPool2dOp.Forward(spec, c.Value(Inputs[0]), c.Value(Outputs[0]), c.IntValue(Outputs[1]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            MaxPool2dOp.Backward(spec, c.Grad(Outputs[0])!, c.IntValue(Outputs[1]), dx, accumulate);
    }
}
