using Engine.Ops.Latent;
using Engine.Ops.Losses;
using Engine.Tensors;

namespace Engine.Graph.Nodes;

/// <summary>Reparameterisation node: outputs z and the eps it drew (saved for backward).</summary>
public sealed class ReparameterizeNode(string name, Node mu, Node logVar) : GraphOp(name, mu, logVar)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[1], Outputs[1]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c)
    {
        // In evaluation the mean is used (eps = 0), as a VAE reconstructs at test time.
        var eps = c.Value(Outputs[1]);
        if (c.Training)
            ReparameterizeOp.Forward(c.Value(Inputs[0]), c.Value(Inputs[1]), eps, c.Value(Outputs[0]), c.Generator);
        else
        {
            Ops.TensorOps.Fill(eps, 0f);
            ReparameterizeOp.Forward(c.Value(Inputs[0]), c.Value(Inputs[1]), eps, c.Value(Outputs[0]), null);
        }
    }

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dMu, accMu) = c.InputGrad(this, 0);
        var (dLogVar, accLogVar) = c.InputGrad(this, 1);
        if (dMu is null && dLogVar is null)
            return;
        var dz = c.Grad(Outputs[0])!;
        using var scratchMu = dMu is null || accMu != accLogVar ? Tensor.Empty(c.Device, dz.Shape) : null;
        using var scratchLogVar = dLogVar is null ? Tensor.Empty(c.Device, dz.Shape) : null;
        ReparameterizeOp.Backward(dz, c.Value(Inputs[1]), c.Value(Outputs[1]), scratchMu ?? dMu!, scratchLogVar ?? dLogVar!, accLogVar);
        if (dMu is not null && scratchMu is not null)
            Ops.Layout.AddOp.Route(scratchMu, dMu, 1f, accMu);
    }

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) => 8 * Outputs[0].Shape.Numel;
}
