using Engine.Ops.Latent;
using Engine.Ops.Losses;
using Engine.Tensors;

namespace Engine.Graph.Nodes;

/// <summary>
/// Cross-entropy node: outputs the scalar loss and its divisor (saved), with PyTorch's
/// <c>ignore_index</c>, class weights (host values, uploaded once per compiled graph) and label smoothing.
/// </summary>
public sealed class CrossEntropyNode(string name, Node logits, Node targets, int ignoreIndex, float[]? classWeights = null, float labelSmoothing = 0f)
    : GraphOp(name, logits, targets)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0], Inputs[1], Outputs[1]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) =>
        CrossEntropyOp.Forward(c.Value(Inputs[0]), c.IntValue(Inputs[1]), c.Value(Outputs[0]), c.Value(Outputs[1]), ignoreIndex, Weights(c), labelSmoothing);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            CrossEntropyOp.Backward(c.Value(Inputs[0]), c.IntValue(Inputs[1]), c.Value(Outputs[1]), c.Grad(Outputs[0])!, dx, ignoreIndex, accumulate, Weights(c), labelSmoothing);
    }

    private Tensor? Weights(ExecutionContext c) => classWeights is null ? null : c.Constant(this, "weight", classWeights);
}

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
}

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
}

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
}

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
}
