using Engine.Devices;
using Engine.Kernels.Elementwise;
using Engine.Kernels.Reduction;
using Engine.Tensors;
using ILGPU;

namespace Engine.Ops;

/// <summary>
/// Elementwise basics and reductions on device tensors. Every call validates its arguments,
/// then queues one kernel launch; nothing is copied to or from the host.
/// </summary>
public static class TensorOps
{
    /// <summary>Sets every element of <paramref name="x"/> to <paramref name="value"/>.</summary>
    public static void Fill(Tensor x, float value)
    {
        Check.SameDevice(nameof(Fill), x.Device, x);
        TensorFill.Fill(x.Device, x.View, Check.LaunchSize(nameof(Fill), x.Numel), value);
    }

    /// <summary>Sets the first <paramref name="count"/> elements of a view to <paramref name="value"/>.</summary>
    internal static void Fill(ComputeDevice device, ArrayView<float> x, int count, float value) =>
        TensorFill.Fill(device, x, count, value);

    /// <summary>Sets every element of <paramref name="x"/> to <paramref name="value"/>.</summary>
    public static void Fill(IntTensor x, int value)
    {
        Check.SameDevice(nameof(Fill), x.Device, x);
        Check.LaunchSize(nameof(Fill), x.Numel);
        TensorFill.Fill(x, value);
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (same shape, same device).</summary>
    public static void Copy(Tensor source, Tensor destination)
    {
        Check.SameDevice(nameof(Copy), source.Device, source, destination);
        Check.SameShape(nameof(Copy), "source", source.Shape, "destination", destination.Shape);
        if (source.IsSameView(destination))
            return;
        // Views of one buffer (a module's flat parameters, say) are copied unless they overlap.
        if (source.Overlaps(destination))
            throw new ArgumentException($"{nameof(Copy)}: source and destination overlap in one buffer.");
        if (source.Device.Paths.Host)
        {
            source.Device.Synchronize();
            ElementwiseHost.Copy(source.View, destination.View, source.Numel);
            return;
        }
        source.Device.Kernel(ElementwiseLoaders.Copy)(Check.LaunchSize(nameof(Copy), source.Numel), source.View, destination.View);
    }

    /// <summary>A new tensor with a copy of <paramref name="x"/>'s values (PyTorch's <c>clone</c>).</summary>
    public static Tensor Clone(Tensor x)
    {
        Check.SameDevice(nameof(Clone), x.Device, x);
        var result = Tensor.Empty(x.Device, x.Shape);
        Copy(x, result);
        return result;
    }

    /// <summary><c>y += alpha * x</c> (same shape).</summary>
    public static void Axpy(float alpha, Tensor x, Tensor y)
    {
        Check.SameDevice(nameof(Axpy), x.Device, x, y);
        Check.SameShape(nameof(Axpy), "x", x.Shape, "y", y.Shape);
        if (x.Device.Paths.Host)
        {
            x.Device.Synchronize();
            ElementwiseHost.Axpy(alpha, x.View, y.View, x.Numel);
            return;
        }
        x.Device.Kernel(ElementwiseLoaders.Axpy)(Check.LaunchSize(nameof(Axpy), x.Numel), alpha, x.View, y.View);
    }

    /// <summary><c>x *= alpha</c>.</summary>
    public static void Scale(Tensor x, float alpha)
    {
        Check.SameDevice(nameof(Scale), x.Device, x);
        if (x.Device.Paths.Host)
        {
            x.Device.Synchronize();
            ElementwiseHost.Scale(x.View, x.Numel, alpha);
            return;
        }
        x.Device.Kernel(ElementwiseLoaders.Scale)(Check.LaunchSize(nameof(Scale), x.Numel), x.View, alpha);
    }

    /// <summary>
    /// Adds a per-channel bias in place: <c>x[n, c, ...] += bias[c]</c> for <c>x</c> of shape
    /// <c>[N, C, ...]</c> (rank 2 or more) and <c>bias</c> of shape <c>[C]</c>.
    /// </summary>
    public static void AddChannelBias(Tensor x, Tensor bias)
    {
        Check.SameDevice(nameof(AddChannelBias), x.Device, x, bias);
        if (x.Shape.Rank < 2)
            throw new ArgumentException($"{nameof(AddChannelBias)}: x must be [N, C, ...], got shape {x.Shape}.", nameof(x));
        int channels = x.Shape[1];
        if (bias.Shape.Rank != 1 || bias.Shape[0] != channels)
            throw new ArgumentException($"{nameof(AddChannelBias)}: bias must be [{channels}] for x of shape {x.Shape}, got {bias.Shape}.", nameof(bias));
        int plane = (int)x.Shape.Product(2, x.Shape.Rank);
        if (x.Device.Paths.Host)
        {
            x.Device.Synchronize();
            ElementwiseHost.AddChannelBias(x.View, bias.View, x.Numel, channels, plane);
            return;
        }
        x.Device.Kernel(ElementwiseLoaders.AddChannelBias)(Check.LaunchSize(nameof(AddChannelBias), x.Numel), x.View, bias.View, channels, plane);
    }

    /// <summary>
    /// <see cref="AddChannelBias"/> and a ReLU in one pass: <c>x += bias</c> (kept: ReLU's backward
    /// reads it) and <c>activated = relu(x)</c>; the same bits as the two ops, one launch.
    /// <paramref name="activated"/> may be x.
    /// </summary>
    public static void AddChannelBiasRelu(Tensor x, Tensor bias, Tensor activated)
    {
        Check.SameDevice(nameof(AddChannelBiasRelu), x.Device, x, bias, activated);
        Check.SameShape(nameof(AddChannelBiasRelu), "activated", activated.Shape, "x", x.Shape);
        if (x.Device.Paths.Host)
        {
            AddChannelBias(x, bias);
            Activation.ActivationOp.Forward(Activation.ActivationKind.Relu, x, activated);
            return;
        }
        if (x.Shape.Rank < 2 || bias.Shape.Rank != 1 || bias.Shape[0] != x.Shape[1])
            throw new ArgumentException($"{nameof(AddChannelBiasRelu)}: bias must be [C] for x [N, C, ...]; got x {x.Shape}, bias {bias.Shape}.", nameof(bias));
        int plane = (int)x.Shape.Product(2, x.Shape.Rank);
        x.Device.Kernel(ElementwiseLoaders.AddChannelBiasRelu)(Check.LaunchSize(nameof(AddChannelBiasRelu), x.Numel), x.View, bias.View, activated.View, x.Shape[1], plane);
    }

    /// <summary>
    /// Sums along one axis (negative counts from the end), dropping it, like PyTorch's
    /// <c>x.sum(dim)</c>. Summing the only axis of a vector gives a scalar (rank 0).
    /// Each output is summed by one work-item in index order: deterministic.
    /// </summary>
    public static Tensor Sum(Tensor x, int axis)
    {
        Check.SameDevice(nameof(Sum), x.Device, x);
        int a = x.Shape.NormalizeAxis(axis);
        var outShape = x.Shape.Without(a);
        var result = Tensor.Empty(x.Device, outShape);
        SumInto(x, a, result);
        return result;
    }

    /// <summary>Sums <paramref name="x"/> along <paramref name="axis"/> into <paramref name="result"/> (its shape without that axis).</summary>
    public static void SumInto(Tensor x, int axis, Tensor result)
    {
        Check.SameDevice(nameof(SumInto), x.Device, x, result);
        int a = x.Shape.NormalizeAxis(axis);
        Check.SameShape(nameof(SumInto), "result", result.Shape, "x without axis " + a, x.Shape.Without(a));
        int inner = Check.LaunchSize(nameof(Sum), x.Shape.Product(a + 1, x.Shape.Rank));
        x.Device.Kernel(ReductionLoaders.SumAxis)(Check.LaunchSize(nameof(Sum), result.Numel), x.View, result.View, x.Shape[a], inner);
    }
}
