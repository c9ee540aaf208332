using Engine.Devices;
using Engine.Kernels.Losses;
using Engine.Ops.Reduction;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Losses;

/// <summary>
/// The reduction shared by the losses: per-element terms summed deterministically, divided by a
/// divisor that lives on the device, and the matching gradient factor <c>dLoss / divisor</c>,
/// so neither pass waits for the host.
/// </summary>
internal static class LossCore
{
    /// <summary>The divisor of a reduction over a tensor of <paramref name="shape"/>.</summary>
    internal static float Divisor(LossReduction reduction, Engine.Tensors.Shape shape) => reduction switch
    {
        LossReduction.Mean => shape.Numel,
        LossReduction.Sum => 1f,
        LossReduction.BatchMean => shape.Rank == 0 ? 1f : shape[0],
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction."),
    };

    /// <summary><c>loss[0] = sum(terms) / divisor[0]</c>.</summary>
    internal static void Reduce(ComputeDevice device, Tensor terms, Tensor divisor, Tensor loss)
    {
        using var sum = FullSum.Of(terms);
        device.Kernel(LossLoaders.Divide)(1, sum.View, divisor.View, loss.View);
    }

    /// <summary>A device scalar <c>factor * dLoss[0] / divisor[0]</c>: the gradient factor per term.</summary>
    internal static Tensor GradientScale(ComputeDevice device, Tensor dLoss, Tensor divisor, float factor = 1f)
    {
        CheckScalar("dLoss", dLoss);
        var scale = Tensor.Empty(device, new Engine.Tensors.Shape());
        device.Kernel(LossLoaders.GradientScale)(1, dLoss.View, divisor.View, scale.View, factor);
        return scale;
    }

    /// <summary>A device scalar holding a divisor known on the host.</summary>
    internal static Tensor Constant(ComputeDevice device, float value) => Tensor.Full(device, value, new Engine.Tensors.Shape());

    internal static void CheckScalar(string name, Tensor t)
    {
        if (t.Numel != 1)
            throw new ArgumentException($"{name} must be a scalar, got shape {t.Shape}.", name);
    }

    /// <summary>Device bytes a loss over <paramref name="terms"/> values holds at once while it reduces them: the terms, the divisor, the sum and its partials.</summary>
    internal static long ReduceWorkspace(long terms) => 4 * terms + 8 + Reduction.FullSum.Workspace(terms);

    /// <summary>Device bytes a loss's backward holds at once: the divisor and the gradient scale (scalars).</summary>
    internal const long BackwardScalars = 8;
}
