using Engine.Ops.Upsampling;

namespace Engine.Graph.Nodes;

/// <summary>Bed-of-nails unpooling node (<see cref="BedOfNailsOp"/>).</summary>
public sealed class BedOfNailsNode(string name, Node x, int factor) : GraphOp(name, x)
{
    /// <summary>The upsampling factor.</summary>
    public int Factor => factor;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => BedOfNailsOp.Forward(c.Value(Inputs[0]), c.Value(Outputs[0]), factor);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            BedOfNailsOp.Backward(c.Grad(Outputs[0])!, dx, factor, accumulate);
    }
}
