using Engine.Ops.Normalization;
using Engine.Tensors;

namespace Engine;

/// <summary>The statistics a BatchNorm2d forward pass used, <c>[C]</c> each; its backward pass needs them.</summary>
/// <param name="Mean">Batch mean (training) or running mean (evaluation).</param>
/// <param name="InvStd"><c>1 / sqrt(var + eps)</c> for that variance.</param>
public sealed record BatchNormSaved(Tensor Mean, Tensor InvStd) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Mean.Dispose();
        InvStd.Dispose();
    }
}

/// <summary>Gradients of BatchNorm2d: input, weight (gamma) and bias (beta).</summary>
public sealed record BatchNormGradients(Tensor Input, Tensor Weight, Tensor Bias) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Input.Dispose();
        Weight.Dispose();
        Bias.Dispose();
    }
}

public static partial class Functional
{
    /// <summary>
    /// <c>batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)</c> on
    /// <c>[N, C, H, W]</c>. In training the running statistics are updated in place.
    /// </summary>
    public static (Tensor Output, BatchNormSaved Saved) BatchNorm2d(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
        bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        int channels = input.Shape.Rank == 4 ? input.Shape[1] : 1;
        var y = Tensor.Empty(input.Device, input.Shape);
        var saved = new BatchNormSaved(Tensor.Empty(input.Device, channels), Tensor.Empty(input.Device, channels));
        try
        {
            BatchNorm2dOp.Forward(input, y, weight, bias, runningMean, runningVar, saved.Mean, saved.InvStd, training, momentum, eps);
            return (y, saved);
        }
        catch
        {
            y.Dispose();
            saved.Dispose();
            throw;
        }
    }

    /// <summary>Gradients of <see cref="BatchNorm2d"/> from its saved statistics.</summary>
    public static BatchNormGradients BatchNorm2dBackward(Tensor gradOutput, Tensor input, Tensor weight, BatchNormSaved saved, bool training)
    {
        var grads = new BatchNormGradients(Tensor.Empty(input.Device, input.Shape), Tensor.Empty(input.Device, weight.Shape), Tensor.Empty(input.Device, weight.Shape));
        return Guard(grads, () => BatchNorm2dOp.Backward(input, gradOutput, weight, saved.Mean, saved.InvStd, training, grads.Input, grads.Weight, grads.Bias));
    }
}
