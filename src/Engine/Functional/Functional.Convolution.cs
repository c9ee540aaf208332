using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine;

/// <summary>Gradients of a convolution; a null entry was not requested. Dispose to free them.</summary>
/// <param name="Input">dL/dx, or null.</param>
/// <param name="Weight">dL/dw.</param>
/// <param name="Bias">dL/db, or null when the convolution had no bias.</param>
public sealed record ConvGradients(Tensor? Input, Tensor Weight, Tensor? Bias) : IDisposable
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
    /// <summary>
    /// <c>conv2d(input, weight, bias, stride, padding, dilation, groups)</c>: input <c>[N, Cin, H, W]</c>,
    /// weight <c>[Cout, Cin/groups, KH, KW]</c>, bias <c>[Cout]</c> or null. Defaults as PyTorch:
    /// stride 1, padding 0, dilation 1, groups 1.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Pair? stride = null, Pair? padding = null, Pair? dilation = null, int groups = 1)
    {
        var spec = Conv2dSpec.Create(input.Shape, weight.Shape, stride ?? 1, padding ?? 0, dilation ?? 1, groups);
        var y = Tensor.Empty(input.Device, spec.OutputShape);
        return Guard(y, () => Conv2dOp.Forward(spec, input, weight, bias, y));
    }

    /// <summary>Gradients of <see cref="Conv2d"/> for an output gradient <paramref name="gradOutput"/>.</summary>
    public static ConvGradients Conv2dBackward(Tensor gradOutput, Tensor input, Tensor weight, bool hasBias, Pair? stride = null, Pair? padding = null,
        Pair? dilation = null, int groups = 1, bool inputGradient = true)
    {
        var spec = Conv2dSpec.Create(input.Shape, weight.Shape, stride ?? 1, padding ?? 0, dilation ?? 1, groups);
        var grads = new ConvGradients(
            inputGradient ? Tensor.Empty(input.Device, input.Shape) : null,
            Tensor.Empty(input.Device, weight.Shape),
            hasBias ? Tensor.Empty(input.Device, spec.Geometry.OutChannels) : null);
        return Guard(grads, () => Conv2dOp.Backward(spec, gradOutput, input, weight, grads.Input, grads.Weight, grads.Bias));
    }

    /// <summary>
    /// <c>conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)</c>:
    /// input <c>[N, Cin, H, W]</c>, weight <c>[Cin, Cout/groups, KH, KW]</c>, bias <c>[Cout]</c> or null.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Pair? stride = null, Pair? padding = null,
        Pair? outputPadding = null, int groups = 1, Pair? dilation = null)
    {
        var spec = ConvTranspose2dSpec.Create(input.Shape, weight.Shape, stride ?? 1, padding ?? 0, outputPadding ?? 0, dilation ?? 1, groups);
        var y = Tensor.Empty(input.Device, spec.OutputShape);
        return Guard(y, () => ConvTranspose2dOp.Forward(spec, input, weight, bias, y));
    }

    /// <summary>Gradients of <see cref="ConvTranspose2d"/> for an output gradient <paramref name="gradOutput"/>.</summary>
    public static ConvGradients ConvTranspose2dBackward(Tensor gradOutput, Tensor input, Tensor weight, bool hasBias, Pair? stride = null,
        Pair? padding = null, Pair? outputPadding = null, int groups = 1, Pair? dilation = null, bool inputGradient = true)
    {
        var spec = ConvTranspose2dSpec.Create(input.Shape, weight.Shape, stride ?? 1, padding ?? 0, outputPadding ?? 0, dilation ?? 1, groups);
        var grads = new ConvGradients(
            inputGradient ? Tensor.Empty(input.Device, input.Shape) : null,
            Tensor.Empty(input.Device, weight.Shape),
            hasBias ? Tensor.Empty(input.Device, spec.OutChannels) : null);
        return Guard(grads, () => ConvTranspose2dOp.Backward(spec, gradOutput, input, weight, grads.Input, grads.Weight, grads.Bias));
    }

    /// <summary>Runs <paramref name="launch"/>; if it throws, disposes the result before rethrowing.</summary>
    private static T Guard<T>(T result, Action launch) where T : IDisposable
    {
        try
        {
            launch();
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }
}
