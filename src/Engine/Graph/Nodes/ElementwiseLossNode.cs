using Engine.Ops.Latent;
using Engine.Ops.Losses;
using Engine.Tensors;

namespace Engine.Graph.Nodes;

/// <summary>BCE-with-logits or MSE node against a float target.</summary>
public sealed class ElementwiseLossNode(string name, ElementwiseLoss kind, Node input, Node target, LossReduction reduction) : GraphOp(name, input, target)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0], Inputs[1]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) =>
        ElementwiseLossOp.Forward(kind, c.Value(Inputs[0]), c.Value(Inputs[1]), c.Value(Outputs[0]), reduction);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            ElementwiseLossOp.Backward(kind, c.Value(Inputs[0]), c.Value(Inputs[1]), c.Grad(Outputs[0])!, dx, reduction, accumulate);
        if (c.InputGrad(this, 1).Grad is not null)
            throw new InvalidOperationException($"{Name}: gradients with respect to the target are not computed; give the target requiresGrad: false.");
    }

    /// <inheritdoc/>
    internal override long ForwardWorkspace(Devices.ComputeDevice device, bool training) => LossCore.ReduceWorkspace(Inputs[0].Shape.Numel);

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) => LossCore.BackwardScalars;
}
