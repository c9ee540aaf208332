using Engine.Devices;
using Engine.Kernels.Activation;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Activation;

/// <summary>The elementwise activations.</summary>
public enum ActivationKind
{
    /// <summary><c>max(x, 0)</c>.</summary>
    Relu,
    /// <summary><c>x &gt; 0 ? x : slope x</c> (slope 0.01 by default).</summary>
    LeakyRelu,
    /// <summary><c>1 / (1 + exp(-x))</c>.</summary>
    Sigmoid,
    /// <summary><c>tanh(x)</c>.</summary>
    Tanh,
}

/// <summary>
/// Activations: forward (y may be x, for in-place use) and backward. ReLU and LeakyReLU
/// differentiate from the input, Sigmoid and Tanh from the output, as PyTorch does.
/// </summary>
public static class ActivationOp
{
    /// <summary><c>y = act(x)</c>; y may be x.</summary>
    public static void Forward(ActivationKind kind, Tensor x, Tensor y, float slope = 0.01f)
    {
        string op = kind.ToString();
        Check.SameDevice(op, x.Device, x, y);
        Check.SameShape(op, "output", y.Shape, "input", x.Shape);
        int n = Check.LaunchSize(op, x.Numel);
        var d = x.Device;
        if (kind == ActivationKind.Relu && d.Paths.Host)
        {
            d.Synchronize();
            ReluHost.Forward(x.View, y.View, n);
            return;
        }
        switch (kind)
        {
            case ActivationKind.Relu: d.Kernel(ActivationLoaders.ReluForward)(n, x.View, y.View); break;
            case ActivationKind.LeakyRelu: d.Kernel(ActivationLoaders.LeakyReluForward)(n, x.View, y.View, slope); break;
            case ActivationKind.Sigmoid: d.Kernel(ActivationLoaders.SigmoidForward)(n, x.View, y.View); break;
            case ActivationKind.Tanh: d.Kernel(ActivationLoaders.TanhForward)(n, x.View, y.View); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>
    /// <c>dx (+)= act'(.) dy</c>. <paramref name="saved"/> is the forward input for ReLU and
    /// LeakyReLU, the forward output for Sigmoid and Tanh (see <see cref="SavesOutput"/>).
    /// </summary>
    public static void Backward(ActivationKind kind, Tensor saved, Tensor dy, Tensor dx, float slope = 0.01f, bool accumulate = false)
    {
        string op = kind + " backward";
        Check.SameDevice(op, dy.Device, saved, dy, dx);
        Check.SameShape(op, "output gradient", dy.Shape, "saved tensor", saved.Shape);
        Check.SameShape(op, "input gradient", dx.Shape, "saved tensor", saved.Shape);
        int n = Check.LaunchSize(op, dy.Numel);
        int a = Launch.Flag(accumulate);
        var d = dy.Device;
        if (kind == ActivationKind.Relu && d.Paths.Host)
        {
            d.Synchronize();
            ReluHost.Backward(saved.View, dy.View, dx.View, n, accumulate);
            return;
        }
        switch (kind)
        {
            case ActivationKind.Relu: d.Kernel(ActivationLoaders.ReluBackward)(n, saved.View, dy.View, dx.View, a); break;
            case ActivationKind.LeakyRelu: d.Kernel(ActivationLoaders.LeakyReluBackward)(n, saved.View, dy.View, dx.View, slope, a); break;
            case ActivationKind.Sigmoid: d.Kernel(ActivationLoaders.SigmoidBackward)(n, saved.View, dy.View, dx.View, a); break;
            case ActivationKind.Tanh: d.Kernel(ActivationLoaders.TanhBackward)(n, saved.View, dy.View, dx.View, a); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>True when the backward pass needs the forward output rather than the input.</summary>
    public static bool SavesOutput(ActivationKind kind) => kind is ActivationKind.Sigmoid or ActivationKind.Tanh;
}
