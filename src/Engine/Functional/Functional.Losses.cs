using Engine.Ops.Latent;
using Engine.Ops.Losses;
using Engine.Ops.Random;
using Engine.Tensors;

namespace Engine;

public static partial class Functional
{
    /// <summary>
    /// <c>cross_entropy(logits, targets, weight, ignore_index, label_smoothing)</c> with mean
    /// reduction: over the targets that are not <paramref name="ignoreIndex"/>, the mean of
    /// <c>w[t] (1 - e)(logsumexp(logits) - logits[t]) + e / C sum_c w[c] (logsumexp(logits) - logits[c])</c>,
    /// divided by the sum of <c>w[t]</c> (the count without <paramref name="weight"/>). Logits
    /// <c>[N, C]</c> or <c>[N, C, H, W]</c>, int32 targets <c>[N]</c> or <c>[N, H, W]</c>, weight
    /// <c>[C]</c>. Returns a scalar tensor.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, IntTensor targets, int ignoreIndex = CrossEntropyOp.DefaultIgnoreIndex, Tensor? weight = null, float labelSmoothing = 0f)
    {
        var loss = Tensor.Empty(logits.Device, new Shape());
        using var count = Tensor.Empty(logits.Device, new Shape());
        return Guard(loss, () => CrossEntropyOp.Forward(logits, targets, loss, count, ignoreIndex, weight, labelSmoothing));
    }

    /// <summary>Gradient of <see cref="CrossEntropy"/> with respect to the logits, for upstream gradient <paramref name="gradLoss"/> (default 1).</summary>
    public static Tensor CrossEntropyBackward(Tensor logits, IntTensor targets, float gradLoss = 1f, int ignoreIndex = CrossEntropyOp.DefaultIgnoreIndex,
        Tensor? weight = null, float labelSmoothing = 0f)
    {
        var device = logits.Device;
        var dLogits = Tensor.Empty(device, logits.Shape);
        return Guard(dLogits, () =>
        {
            using var loss = Tensor.Empty(device, new Shape());
            using var count = Tensor.Empty(device, new Shape());
            using var dLoss = Tensor.Full(device, gradLoss, new Shape());
            CrossEntropyOp.Forward(logits, targets, loss, count, ignoreIndex, weight, labelSmoothing);
            CrossEntropyOp.Backward(logits, targets, count, dLoss, dLogits, ignoreIndex, accumulate: false, weight, labelSmoothing);
        });
    }

    /// <summary><c>binary_cross_entropy_with_logits(input, target, reduction)</c>.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, LossReduction reduction = LossReduction.Mean) =>
        ElementwiseLoss(Ops.Losses.ElementwiseLoss.BinaryCrossEntropyWithLogits, input, target, reduction);

    /// <summary><c>mse_loss(input, target, reduction)</c>.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, LossReduction reduction = LossReduction.Mean) =>
        ElementwiseLoss(Ops.Losses.ElementwiseLoss.MseLoss, input, target, reduction);

    /// <summary><c>l1_loss(input, target, reduction)</c>.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, LossReduction reduction = LossReduction.Mean) =>
        ElementwiseLoss(Ops.Losses.ElementwiseLoss.L1Loss, input, target, reduction);

    /// <summary>
    /// The contractive penalty of a sigmoid encoder layer: <c>sum_j (h_j (1 - h_j))^2 sum_i W_ji^2</c>
    /// per example for the code <c>h [N, J]</c> and the layer's weight <c>W [J, I]</c>, reduced (per example by default).
    /// </summary>
    public static Tensor ContractivePenalty(Tensor code, Tensor weight, LossReduction reduction = LossReduction.BatchMean)
    {
        var loss = Tensor.Empty(code.Device, new Shape());
        return Guard(loss, () => ContractivePenaltyOp.Forward(code, weight, loss, reduction));
    }

    /// <summary>Gradients of <see cref="ContractivePenalty"/> with respect to the code and the weight.</summary>
    public static (Tensor Code, Tensor Weight) ContractivePenaltyBackward(Tensor code, Tensor weight, LossReduction reduction = LossReduction.BatchMean, float gradLoss = 1f)
    {
        var device = code.Device;
        var dCode = Tensor.Empty(device, code.Shape);
        var dWeight = Tensor.Empty(device, weight.Shape);
        try
        {
            using var dLoss = Tensor.Full(device, gradLoss, new Shape());
            ContractivePenaltyOp.Backward(code, weight, dLoss, dCode, dWeight, reduction);
            return (dCode, dWeight);
        }
        catch
        {
            dCode.Dispose();
            dWeight.Dispose();
            throw;
        }
    }

    /// <summary>Gradient of an elementwise loss with respect to its input, for upstream gradient <paramref name="gradLoss"/>.</summary>
    public static Tensor ElementwiseLossBackward(ElementwiseLoss kind, Tensor input, Tensor target, LossReduction reduction = LossReduction.Mean, float gradLoss = 1f)
    {
        var dx = Tensor.Empty(input.Device, input.Shape);
        return Guard(dx, () =>
        {
            using var dLoss = Tensor.Full(input.Device, gradLoss, new Shape());
            ElementwiseLossOp.Backward(kind, input, target, dLoss, dx, reduction);
        });
    }

    /// <summary>The VAE's KL term <c>-0.5 sum(1 + logvar - mu^2 - exp(logvar))</c>, per image by default.</summary>
    public static Tensor GaussianKl(Tensor mu, Tensor logVar, LossReduction reduction = LossReduction.BatchMean)
    {
        var loss = Tensor.Empty(mu.Device, new Shape());
        return Guard(loss, () => GaussianKlOp.Forward(mu, logVar, loss, reduction));
    }

    /// <summary>Gradients of <see cref="GaussianKl"/> with respect to mu and logvar.</summary>
    public static (Tensor Mu, Tensor LogVar) GaussianKlBackward(Tensor mu, Tensor logVar, LossReduction reduction = LossReduction.BatchMean, float gradLoss = 1f)
    {
        var dMu = Tensor.Empty(mu.Device, mu.Shape);
        var dLogVar = Tensor.Empty(mu.Device, mu.Shape);
        try
        {
            using var dLoss = Tensor.Full(mu.Device, gradLoss, new Shape());
            GaussianKlOp.Backward(mu, logVar, dLoss, dMu, dLogVar, reduction);
            return (dMu, dLogVar);
        }
        catch
        {
            dMu.Dispose();
            dLogVar.Dispose();
            throw;
        }
    }

    /// <summary>Soft Dice loss <c>1 - (2 sum(p t) + s) / (sum p + sum t + s)</c> on probabilities.</summary>
    public static Tensor DiceLoss(Tensor probabilities, Tensor target, float smooth = 1f)
    {
        var loss = Tensor.Empty(probabilities.Device, new Shape());
        return Guard(loss, () => DiceLossOp.Forward(probabilities, target, loss, smooth));
    }

    /// <summary>Gradient of <see cref="DiceLoss"/> with respect to the probabilities.</summary>
    public static Tensor DiceLossBackward(Tensor probabilities, Tensor target, float smooth = 1f, float gradLoss = 1f)
    {
        var dp = Tensor.Empty(probabilities.Device, probabilities.Shape);
        return Guard(dp, () =>
        {
            using var dLoss = Tensor.Full(probabilities.Device, gradLoss, new Shape());
            DiceLossOp.Backward(probabilities, target, dLoss, dp, smooth);
        });
    }

    /// <summary>
    /// The reparameterisation trick: <c>z = mu + exp(logvar / 2) * eps</c>, eps drawn from
    /// <paramref name="generator"/>. Returns z and eps (the backward pass needs eps).
    /// </summary>
    public static (Tensor Z, Tensor Eps) Reparameterize(Tensor mu, Tensor logVar, RandomGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var z = Tensor.Empty(mu.Device, mu.Shape);
        var eps = Tensor.Empty(mu.Device, mu.Shape);
        try
        {
            ReparameterizeOp.Forward(mu, logVar, eps, z, generator);
            return (z, eps);
        }
        catch
        {
            z.Dispose();
            eps.Dispose();
            throw;
        }
    }

    /// <summary>Gradients of <see cref="Reparameterize"/> with respect to mu and logvar.</summary>
    public static (Tensor Mu, Tensor LogVar) ReparameterizeBackward(Tensor gradZ, Tensor logVar, Tensor eps)
    {
        var dMu = Tensor.Empty(gradZ.Device, gradZ.Shape);
        var dLogVar = Tensor.Empty(gradZ.Device, gradZ.Shape);
        try
        {
            ReparameterizeOp.Backward(gradZ, logVar, eps, dMu, dLogVar);
            return (dMu, dLogVar);
        }
        catch
        {
            dMu.Dispose();
            dLogVar.Dispose();
            throw;
        }
    }

    private static Tensor ElementwiseLoss(ElementwiseLoss kind, Tensor input, Tensor target, LossReduction reduction)
    {
        var loss = Tensor.Empty(input.Device, new Shape());
        return Guard(loss, () => ElementwiseLossOp.Forward(kind, input, target, loss, reduction));
    }
}
