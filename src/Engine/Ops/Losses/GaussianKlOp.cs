using Engine.Kernels.Losses;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Losses;

/// <summary>
/// The VAE's closed-form <c>KL(N(mu, exp(logvar)) || N(0, I)) = -0.5 sum(1 + logvar - mu^2 - exp(logvar))</c>,
/// by default per image (<see cref="LossReduction.BatchMean"/>).
/// </summary>
public static class GaussianKlOp
{
    /// <summary>Writes the reduced KL into the scalar <paramref name="loss"/>.</summary>
    public static void Forward(Tensor mu, Tensor logVar, Tensor loss, LossReduction reduction = LossReduction.BatchMean)
    {
        CheckShapes("GaussianKl", mu, logVar);
        LossCore.CheckScalar(nameof(loss), loss);
        var device = mu.Device;
        using var terms = Tensor.Empty(device, mu.Shape);
        device.Kernel(LossLoaders.GaussianKlForward)(Check.LaunchSize("GaussianKl", mu.Numel), mu.View, logVar.View, terms.View);
        using var divisor = LossCore.Constant(device, LossCore.Divisor(reduction, mu.Shape));
        LossCore.Reduce(device, terms, divisor, loss);
    }

    /// <summary><c>dmu (+)= s mu</c>, <c>dlogvar (+)= s (exp(logvar) - 1) / 2</c> with <c>s = dLoss / divisor</c>.</summary>
    public static void Backward(Tensor mu, Tensor logVar, Tensor dLoss, Tensor dMu, Tensor dLogVar, LossReduction reduction = LossReduction.BatchMean, bool accumulate = false)
    {
        CheckShapes("GaussianKl backward", mu, logVar);
        Check.SameShape("GaussianKl backward", "mu gradient", dMu.Shape, "mu", mu.Shape);
        Check.SameShape("GaussianKl backward", "logvar gradient", dLogVar.Shape, "mu", mu.Shape);
        var device = mu.Device;
        using var divisor = LossCore.Constant(device, LossCore.Divisor(reduction, mu.Shape));
        using var scale = LossCore.GradientScale(device, dLoss, divisor);
        device.Kernel(LossLoaders.GaussianKlBackward)(Check.LaunchSize("GaussianKl", mu.Numel), mu.View, logVar.View, scale.View, dMu.View, dLogVar.View, Launch.Flag(accumulate));
    }

    private static void CheckShapes(string op, Tensor mu, Tensor logVar)
    {
        Check.SameDevice(op, mu.Device, mu, logVar);
        Check.SameShape(op, "mu", mu.Shape, "logvar", logVar.Shape);
    }
}
