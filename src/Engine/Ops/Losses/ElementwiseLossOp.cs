using Engine.Kernels.Losses;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Losses;

/// <summary>
/// The losses computed element by element against a float target of the same shape, named as the
/// functions that compute them (<c>MseLoss</c>, PyTorch's <c>mse_loss</c>); an error in a backward
/// pass names it as PyTorch's <c>grad_fn</c> does (<c>MseLossBackward</c>).
/// </summary>
public enum ElementwiseLoss
{
    /// <summary>Binary cross-entropy with logits: <c>max(x, 0) - x t + log(1 + exp(-|x|))</c>.</summary>
    BinaryCrossEntropyWithLogits,
    /// <summary>Squared error <c>(x - t)^2</c> (<c>mse_loss</c>).</summary>
    MseLoss,
    /// <summary>Absolute error <c>|x - t|</c> (<c>l1_loss</c>; its gradient takes sign(0) = 0).</summary>
    L1Loss,
}

/// <summary>BCE-with-logits, MSE and L1, reduced by mean, sum or batch mean.</summary>
public static class ElementwiseLossOp
{
    /// <summary>Writes the reduced loss into the scalar <paramref name="loss"/>.</summary>
    public static void Forward(ElementwiseLoss kind, Tensor input, Tensor target, Tensor loss, LossReduction reduction = LossReduction.Mean)
    {
        string op = kind.ToString();
        CheckShapes(op, input, target);
        LossCore.CheckScalar(nameof(loss), loss);
        var device = input.Device;
        using var terms = Tensor.Empty(device, input.Shape);
        var loader = kind switch
        {
            ElementwiseLoss.BinaryCrossEntropyWithLogits => LossLoaders.BceWithLogitsForward,
            ElementwiseLoss.MseLoss => LossLoaders.SquaredErrorForward,
            ElementwiseLoss.L1Loss => LossLoaders.AbsoluteErrorForward,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown elementwise loss."),
        };
        device.Kernel(loader)(Check.LaunchSize(op, input.Numel), input.View, target.View, terms.View);
        using var divisor = LossCore.Constant(device, LossCore.Divisor(reduction, input.Shape));
        LossCore.Reduce(device, terms, divisor, loss);
    }

    /// <summary><c>dx (+)= dLoss / divisor * dterm/dx</c>.</summary>
    public static void Backward(ElementwiseLoss kind, Tensor input, Tensor target, Tensor dLoss, Tensor dInput, LossReduction reduction = LossReduction.Mean, bool accumulate = false)
    {
        string op = kind + "Backward";
        CheckShapes(op, input, target);
        Check.SameShape(op, "input gradient", dInput.Shape, "input", input.Shape);
        var device = input.Device;
        using var divisor = LossCore.Constant(device, LossCore.Divisor(reduction, input.Shape));
        using var scale = LossCore.GradientScale(device, dLoss, divisor);
        var loader = kind switch
        {
            ElementwiseLoss.BinaryCrossEntropyWithLogits => LossLoaders.BceWithLogitsBackward,
            ElementwiseLoss.MseLoss => LossLoaders.SquaredErrorBackward,
            ElementwiseLoss.L1Loss => LossLoaders.AbsoluteErrorBackward,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown elementwise loss."),
        };
        device.Kernel(loader)(Check.LaunchSize(op, input.Numel), input.View, target.View, scale.View, dInput.View, Launch.Flag(accumulate));
    }

    private static void CheckShapes(string op, Tensor input, Tensor target)
    {
        Check.SameDevice(op, input.Device, input, target);
        Check.SameShape(op, "input", input.Shape, "target", target.Shape);
    }
}
