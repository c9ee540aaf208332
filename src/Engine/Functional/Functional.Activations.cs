using Engine.Ops.Activation;
using Engine.Tensors;

namespace Engine;

public static partial class Functional
{
    /// <summary><c>relu(x)</c>.</summary>
    public static Tensor Relu(Tensor x) => Activate(ActivationKind.Relu, x, 0f);

    /// <summary><c>leaky_relu(x, negative_slope)</c>.</summary>
    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f) => Activate(ActivationKind.LeakyRelu, x, negativeSlope);

    /// <summary><c>sigmoid(x)</c>.</summary>
    public static Tensor Sigmoid(Tensor x) => Activate(ActivationKind.Sigmoid, x, 0f);

    /// <summary><c>tanh(x)</c>.</summary>
    public static Tensor Tanh(Tensor x) => Activate(ActivationKind.Tanh, x, 0f);

    /// <summary>
    /// Input gradient of an activation. <paramref name="saved"/> is the forward input for ReLU and
    /// LeakyReLU and the forward output for Sigmoid and Tanh.
    /// </summary>
    public static Tensor ActivationBackward(ActivationKind kind, Tensor saved, Tensor gradOutput, float negativeSlope = 0.01f)
    {
        var dx = Tensor.Empty(gradOutput.Device, gradOutput.Shape);
        return Guard(dx, () => ActivationOp.Backward(kind, saved, gradOutput, dx, negativeSlope));
    }

    /// <summary><c>softmax(x, dim=1)</c>.</summary>
    public static Tensor Softmax(Tensor x) => SoftmaxCore(x, false);

    /// <summary><c>log_softmax(x, dim=1)</c>.</summary>
    public static Tensor LogSoftmax(Tensor x) => SoftmaxCore(x, true);

    /// <summary>Input gradient of <see cref="Softmax"/> or <see cref="LogSoftmax"/> from the forward output.</summary>
    public static Tensor SoftmaxBackward(Tensor output, Tensor gradOutput, bool logarithm)
    {
        var dx = Tensor.Empty(gradOutput.Device, gradOutput.Shape);
        return Guard(dx, () => SoftmaxOp.Backward(output, gradOutput, dx, logarithm));
    }

    private static Tensor Activate(ActivationKind kind, Tensor x, float slope)
    {
        var y = Tensor.Empty(x.Device, x.Shape);
        return Guard(y, () => ActivationOp.Forward(kind, x, y, slope));
    }

    private static Tensor SoftmaxCore(Tensor x, bool logarithm)
    {
        var y = Tensor.Empty(x.Device, x.Shape);
        return Guard(y, () => SoftmaxOp.Forward(x, y, logarithm));
    }
}
