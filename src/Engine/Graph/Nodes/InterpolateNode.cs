using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;

namespace Engine.Graph.Nodes;

/// <summary>interpolate node (bilinear or nearest).</summary>
public sealed class InterpolateNode(string name, InterpolateSpec spec, Node x) : GraphOp(name, x)
{
    /// <summary>The resampling's request and geometry.</summary>
    public InterpolateSpec Spec => spec;

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
