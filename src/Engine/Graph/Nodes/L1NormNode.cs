using Engine.Ops.Losses;
using Engine.Tensors;

namespace Engine.Graph.Nodes;

/// <summary>The L1 norm of a tensor, reduced (a sparse autoencoder's penalty on its code): <c>l1_loss(x, 0)</c>.</summary>
public sealed class L1NormNode(string name, Node x, LossReduction reduction) : GraphOp(name, x)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c)
    {
        using var zeros = Tensor.Zeros(c.Device, Inputs[0].Shape);
        ElementwiseLossOp.Forward(ElementwiseLoss.L1Loss, c.Value(Inputs[0]), zeros, c.Value(Outputs[0]), reduction);
    }

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is null)
            return;
        using var zeros = Tensor.Zeros(c.Device, Inputs[0].Shape);
        ElementwiseLossOp.Backward(ElementwiseLoss.L1Loss, c.Value(Inputs[0]), zeros, c.Grad(Outputs[0])!, dx, reduction, accumulate);
    }

    /// <inheritdoc/>
    internal override long ForwardWorkspace(Devices.ComputeDevice device, bool training) => 4 * Inputs[0].Shape.Numel + LossCore.ReduceWorkspace(Inputs[0].Shape.Numel);

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) => 4 * Inputs[0].Shape.Numel + LossCore.BackwardScalars;
}
