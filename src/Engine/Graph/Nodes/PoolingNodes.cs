using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;

namespace Engine.Graph.Nodes;

/// <summary>max_pool2d node with two outputs: the values and the int32 argmax indices (saved for backward).</summary>
public sealed class MaxPool2dNode(string name, Pool2dSpec spec, Node x) : GraphOp(name, x)
{
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

/// <summary>max_unpool2d node: values and the indices of an earlier max pooling.</summary>
public sealed class MaxUnpool2dNode(string name, MaxUnpool2dSpec spec, Node x, Node indices) : GraphOp(name, x, indices)
{
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

/// <summary>avg_pool2d node.</summary>
public sealed class AvgPool2dNode(string name, Pool2dSpec spec, Node x) : GraphOp(name, x)
{
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

/// <summary>interpolate node (bilinear or nearest).</summary>
public sealed class InterpolateNode(string name, InterpolateSpec spec, Node x) : GraphOp(name, x)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => InterpolateOp.Forward(spec, c.Value(Inputs[0]), c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            InterpolateOp.Backward(spec, c.Grad(Outputs[0])!, dx, accumulate);
    }
}
