using Engine.Ops.Latent;
using Engine.Ops.Losses;
using Engine.Tensors;

namespace Engine.Graph.Nodes;

/// <summary>The Gaussian KL node of the VAE.</summary>
public sealed class GaussianKlNode(string name, Node mu, Node logVar, LossReduction reduction) : GraphOp(name, mu, logVar)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0], Inputs[1]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => GaussianKlOp.Forward(c.Value(Inputs[0]), c.Value(Inputs[1]), c.Value(Outputs[0]), reduction);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dMu, accMu) = c.InputGrad(this, 0);
        var (dLogVar, accLogVar) = c.InputGrad(this, 1);
        if (dMu is null && dLogVar is null)
            return;
        // The kernel writes both gradients; scratch stands in for one that is not needed.
        using var scratch = dMu is null || dLogVar is null ? Tensor.Empty(c.Device, Inputs[0].Shape) : null;
        if (accMu == accLogVar || dMu is null || dLogVar is null)
        {
            GaussianKlOp.Backward(c.Value(Inputs[0]), c.Value(Inputs[1]), c.Grad(Outputs[0])!, dMu ?? scratch!, dLogVar ?? scratch!, reduction,
                dMu is null ? accLogVar : accMu);
            return;
        }
        using var fresh = Tensor.Empty(c.Device, Inputs[0].Shape);
        GaussianKlOp.Backward(c.Value(Inputs[0]), c.Value(Inputs[1]), c.Grad(Outputs[0])!, accMu ? fresh : dMu, accMu ? dLogVar : fresh, reduction, false);
        Ops.TensorOps.Axpy(1f, fresh, accMu ? dMu : dLogVar);
    }

    /// <inheritdoc/>
    internal override long ForwardWorkspace(Devices.ComputeDevice device, bool training) => LossCore.ReduceWorkspace(Inputs[0].Shape.Numel);

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) => 8 * Inputs[0].Shape.Numel + LossCore.BackwardScalars;
}
