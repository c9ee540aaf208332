using Engine.Ops.Linear;
using Engine.Ops.Random;
using Engine.Tensors;

namespace Engine;

/// <summary>Gradients of a linear layer; a null entry was not requested.</summary>
public sealed record LinearGradients(Tensor? Input, Tensor Weight, Tensor? Bias) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Input?.Dispose();
        Weight.Dispose();
        Bias?.Dispose();
    }
}

public static partial class Functional
{
    /// <summary><c>linear(x, weight, bias) = x W^T + b</c>: x <c>[N, in]</c>, weight <c>[out, in]</c>, bias <c>[out]</c>.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (input.Shape.Rank != 2 || weight.Shape.Rank != 2)
            throw new ArgumentException($"Linear: input must be [N, in] and weight [out, in], got {input.Shape} and {weight.Shape}.");
        var y = Tensor.Empty(input.Device, input.Shape[0], weight.Shape[0]);
        return Guard(y, () => LinearOp.Forward(input, weight, bias, y));
    }

    /// <summary>Gradients of <see cref="Linear"/>.</summary>
    public static LinearGradients LinearBackward(Tensor gradOutput, Tensor input, Tensor weight, bool hasBias, bool inputGradient = true)
    {
        var grads = new LinearGradients(
            inputGradient ? Tensor.Empty(input.Device, input.Shape) : null,
            Tensor.Empty(input.Device, weight.Shape),
            hasBias ? Tensor.Empty(input.Device, weight.Shape[0]) : null);
        return Guard(grads, () => LinearOp.Backward(gradOutput, input, weight, grads.Input, grads.Weight, grads.Bias));
    }

    /// <summary>
    /// <c>dropout(x, p, training)</c> with device random numbers from <paramref name="generator"/>.
    /// Returns the output and the counter offset used, which the backward pass needs. Outside
    /// training it returns a copy.
    /// </summary>
    public static (Tensor Output, ulong Offset) Dropout(Tensor input, float p, bool training, RandomGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var y = Tensor.Empty(input.Device, input.Shape);
        ulong offset = 0;
        Guard(y, () =>
        {
            if (training)
                offset = DropoutOp.Forward(input, y, p, generator);
            else
                Ops.TensorOps.Copy(input, y);
        });
        return (y, offset);
    }

    /// <summary>Input gradient of <see cref="Dropout"/> (training), regenerating its mask from seed and offset.</summary>
    public static Tensor DropoutBackward(Tensor gradOutput, float p, ulong seed, ulong offset)
    {
        var dx = Tensor.Empty(gradOutput.Device, gradOutput.Shape);
        return Guard(dx, () => DropoutOp.Backward(gradOutput, dx, p, seed, offset));
    }
}
