using Engine.Devices;
using Engine.Kernels.Losses;
using Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Ops.Losses;

/// <summary>
/// Softmax cross-entropy on logits <c>[N, C]</c> or <c>[N, C, H, W]</c> with int32 class targets
/// <c>[N]</c> or <c>[N, H, W]</c>, averaged over the targets that are not <c>ignoreIndex</c>
/// (PyTorch's default -100). Log-sum-exp subtracts the maximum, so large logits are safe. A
/// target outside <c>[0, C)</c> makes the loss NaN (kernels cannot throw).
/// </summary>
public static class CrossEntropyOp
{
    /// <summary>PyTorch's default ignore_index.</summary>
    public const int DefaultIgnoreIndex = -100;

    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int>> ForwardLoader =
        new("CrossEntropy.Forward", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int>(acc, LossKernels.CrossEntropyForward));
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, int>> BackwardLoader =
        new("CrossEntropy.Backward", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, int>(acc, LossKernels.CrossEntropyBackward));

    /// <summary>Writes the mean loss into <paramref name="loss"/> and the number of counted targets into <paramref name="count"/> (both scalars).</summary>
    public static void Forward(Tensor logits, IntTensor targets, Tensor loss, Tensor count, int ignoreIndex = DefaultIgnoreIndex)
    {
        var (channels, plane, positions) = CheckShapes("CrossEntropy", logits, targets);
        LossCore.CheckScalar(nameof(loss), loss);
        LossCore.CheckScalar(nameof(count), count);
        var device = logits.Device;
        using var terms = Tensor.Empty(device, positions);
        using var weights = Tensor.Empty(device, positions);
        device.Kernel(ForwardLoader)(positions, logits.View, targets.View, terms.View, weights.View, channels, plane, ignoreIndex);
        using var counted = Engine.Ops.Reduction.FullSum.Of(weights);
        TensorOps.Copy(counted, count);
        LossCore.Reduce(device, terms, count, loss);
    }

    /// <summary><c>dlogits (+)= dLoss / count * (softmax(logits) - onehot(target))</c>, zero at ignored targets.</summary>
    public static void Backward(Tensor logits, IntTensor targets, Tensor count, Tensor dLoss, Tensor dLogits, int ignoreIndex = DefaultIgnoreIndex, bool accumulate = false)
    {
        var (channels, plane, positions) = CheckShapes("CrossEntropy backward", logits, targets);
        Check.SameShape("CrossEntropy backward", "logits gradient", dLogits.Shape, "logits", logits.Shape);
        var device = logits.Device;
        using var scale = LossCore.GradientScale(device, dLoss, count);
        device.Kernel(BackwardLoader)(positions, logits.View, targets.View, scale.View, dLogits.View, channels, plane, ignoreIndex, Launch.Flag(accumulate));
    }

    /// <summary>The class-target shape for logits <c>[N, C, ...]</c>: <c>[N, ...]</c>.</summary>
    /// <exception cref="ArgumentException">The logits have fewer than two dimensions.</exception>
    public static Engine.Tensors.Shape TargetShape(string op, Engine.Tensors.Shape logits)
    {
        if (logits.Rank < 2)
            throw new ArgumentException($"{op}: logits must be [N, C] or [N, C, H, W], got {logits}.", nameof(logits));
        var dims = new int[logits.Rank - 1];
        dims[0] = logits[0];
        for (int d = 2; d < logits.Rank; d++)
            dims[d - 1] = logits[d];
        return new Engine.Tensors.Shape(dims);
    }

    private static (int Channels, int Plane, int Positions) CheckShapes(string op, Tensor logits, IntTensor targets)
    {
        Check.SameDevice(op, logits.Device, logits, targets);
        var s = logits.Shape;
        var expected = TargetShape(op, s);
        if (targets.Shape != expected)
            throw new ArgumentException($"{op}: targets must be {expected} for logits {s}, got {targets.Shape}.", nameof(targets));
        int plane = Check.LaunchSize(op, s.Product(2, s.Rank));
        return (s[1], plane, Check.LaunchSize(op, (long)s[0] * plane));
    }
}
