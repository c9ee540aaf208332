using Engine.Kernels.Losses;
using Engine.Ops.Reduction;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Losses;

/// <summary>
/// Soft Dice loss on probabilities p and targets t of one shape:
/// <c>1 - (2 sum(p t) + s) / (sum p + sum t + s)</c>, smoothing s = 1 by default.
/// </summary>
public static class DiceLossOp
{
    /// <summary>Writes the Dice loss into the scalar <paramref name="loss"/>.</summary>
    public static void Forward(Tensor probabilities, Tensor target, Tensor loss, float smooth = 1f)
    {
        CheckShapes("DiceLoss", probabilities, target, smooth);
        LossCore.CheckScalar(nameof(loss), loss);
        using var sums = Sums(probabilities, target);
        probabilities.Device.Kernel(LossLoaders.DiceLoss)(1, sums.View, loss.View, smooth);
    }

    /// <summary><c>dp (+)= dLoss * dDice/dp</c>.</summary>
    public static void Backward(Tensor probabilities, Tensor target, Tensor dLoss, Tensor dProbabilities, float smooth = 1f, bool accumulate = false)
    {
        CheckShapes("DiceLoss backward", probabilities, target, smooth);
        LossCore.CheckScalar(nameof(dLoss), dLoss);
        Check.SameShape("DiceLoss backward", "gradient", dProbabilities.Shape, "probabilities", probabilities.Shape);
        using var sums = Sums(probabilities, target);
        probabilities.Device.Kernel(LossLoaders.DiceBackward)(Check.LaunchSize("DiceLoss", probabilities.Numel), target.View, sums.View, dLoss.View,
            dProbabilities.View, smooth, Launch.Flag(accumulate));
    }

    /// <summary><c>[sum p t, sum p, sum t]</c>, each summed deterministically.</summary>
    private static Tensor Sums(Tensor p, Tensor t)
    {
        var device = p.Device;
        int n = Check.LaunchSize("DiceLoss", p.Numel);
        using var terms = Tensor.Empty(device, 3, n);
        device.Kernel(LossLoaders.DiceTerms)(n, p.View, t.View, terms.View, n);
        var sums = Tensor.Empty(device, 3);
        for (int row = 0; row < 3; row++)
            FullSum.Run(device, terms.View.SubView((long)row * n, n), n, sums.View.SubView(row, 1));
        return sums;
    }

    private static void CheckShapes(string op, Tensor p, Tensor t, float smooth)
    {
        Check.SameDevice(op, p.Device, p, t);
        Check.SameShape(op, "probabilities", p.Shape, "target", t.Shape);
        if (!(smooth >= 0))
            throw new ArgumentException($"{op}: smoothing must be non-negative, got {smooth}.", nameof(smooth));
    }
}
