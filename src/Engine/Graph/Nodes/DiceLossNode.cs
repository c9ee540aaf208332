using Engine.Ops.Latent;
using Engine.Ops.Losses;
using Engine.Tensors;

namespace Engine.Graph.Nodes;

/// <summary>Soft Dice loss node on probabilities.</summary>
public sealed class DiceLossNode(string name, Node probabilities, Node target, float smooth) : GraphOp(name, probabilities, target)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0], Inputs[1]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => DiceLossOp.Forward(c.Value(Inputs[0]), c.Value(Inputs[1]), c.Value(Outputs[0]), smooth);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dp, accumulate) = c.InputGrad(this, 0);
        if (dp is not null)
            DiceLossOp.Backward(c.Value(Inputs[0]), c.Value(Inputs[1]), c.Grad(Outputs[0])!, dp, smooth, accumulate);
    }

    /// <inheritdoc/>
    internal override long ForwardWorkspace(Devices.ComputeDevice device, bool training) => 12 * Inputs[0].Shape.Numel + 12 + Ops.Reduction.FullSum.Workspace(Inputs[0].Shape.Numel);

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) => ForwardWorkspace(device, true);
}
