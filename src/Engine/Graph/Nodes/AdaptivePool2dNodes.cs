using Engine.Ops.Pooling;

namespace Engine.Graph.Nodes;

/// <summary>adaptive_avg_pool2d node: <c>[N, C, H, W]</c> to <c>[N, C, OutH, OutW]</c>.</summary>
public sealed class AdaptiveAvgPool2dNode(string name, AdaptivePool2dSpec spec, Node x) : GraphOp(name, x)
{
    /// <summary>The pooling's geometry.</summary>
    public AdaptivePool2dSpec Spec => spec;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => AdaptivePool2dOp.AvgForward(spec, c.Value(Inputs[0]), c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            AdaptivePool2dOp.AvgBackward(spec, c.Grad(Outputs[0])!, dx, accumulate);
    }
}

/// <summary>adaptive_max_pool2d node with two outputs: the values and the int32 argmax indices (saved for backward).</summary>
public sealed class AdaptiveMaxPool2dNode(string name, AdaptivePool2dSpec spec, Node x) : GraphOp(name, x)
{
    /// <summary>The pooling's geometry.</summary>
    public AdaptivePool2dSpec Spec => spec;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Outputs[1]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => AdaptivePool2dOp.MaxForward(spec, c.Value(Inputs[0]), c.Value(Outputs[0]), c.IntValue(Outputs[1]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            AdaptivePool2dOp.MaxBackward(spec, c.Grad(Outputs[0])!, c.IntValue(Outputs[1]), dx, accumulate);
    }
}
