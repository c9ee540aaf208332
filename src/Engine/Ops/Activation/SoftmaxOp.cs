using Engine.Kernels.Activation;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Activation;

/// <summary>Softmax and log-softmax along dim 1 of <c>[N, C, ...]</c>, forward and backward (from the output).</summary>
public static class SoftmaxOp
{
    /// <summary><c>y = softmax(x, dim=1)</c> or <c>log_softmax</c>.</summary>
    public static void Forward(Tensor x, Tensor y, bool logarithm)
    {
        const string op = "Softmax";
        var (channels, plane, positions) = Layout(op, x, y);
        x.Device.Kernel(SoftmaxLoaders.Forward)(positions, x.View, y.View, channels, plane, Launch.Flag(logarithm));
    }

    /// <summary><c>dx (+)= </c> the softmax (or log-softmax) Jacobian applied to dy, from the forward output y.</summary>
    public static void Backward(Tensor y, Tensor dy, Tensor dx, bool logarithm, bool accumulate = false)
    {
        const string op = "Softmax backward";
        var (channels, plane, positions) = Layout(op, y, dy);
        Check.SameDevice(op, y.Device, dx);
        Check.SameShape(op, "input gradient", dx.Shape, "output", y.Shape);
        y.Device.Kernel(SoftmaxLoaders.Backward)(positions, y.View, dy.View, dx.View, channels, plane, Launch.Flag(logarithm), Launch.Flag(accumulate));
    }

    internal static (int Channels, int Plane, int Positions) Layout(string op, Tensor x, Tensor y)
    {
        Check.SameDevice(op, x.Device, x, y);
        Check.SameShape(op, "output", y.Shape, "input", x.Shape);
        if (x.Shape.Rank < 2)
            throw new ArgumentException($"{op}: input must be [N, C, ...], got {x.Shape}.", nameof(x));
        int plane = Check.LaunchSize(op, x.Shape.Product(2, x.Shape.Rank));
        return (x.Shape[1], plane, Check.LaunchSize(op, (long)x.Shape[0] * plane));
    }
}
