using Engine.Devices;
using Engine.Kernels.Random;
using Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Ops.Random;

/// <summary>
/// Inverted dropout: in training each element is zeroed with probability p and the rest scaled
/// by <c>1 / (1 - p)</c>. The mask is not stored: backward regenerates it from the (seed, offset)
/// the forward pass used.
/// </summary>
public static class DropoutOp
{
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<float>, ulong, ulong, float>> ForwardLoader =
        new("Dropout.Forward", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<float>, ulong, ulong, float>(acc, RandomKernels.DropoutForward));
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<float>, ulong, ulong, float, int>> BackwardLoader =
        new("Dropout.Backward", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<float>, ulong, ulong, float, int>(acc, RandomKernels.DropoutBackward));

    /// <summary>Applies dropout with counters from <paramref name="generator"/>; returns the offset used (for backward).</summary>
    public static ulong Forward(Tensor x, Tensor y, float p, RandomGenerator generator)
    {
        CheckArguments("Dropout", x, y, p);
        int n = Check.LaunchSize("Dropout", x.Numel);
        ulong offset = generator.Advance(n);
        x.Device.Kernel(ForwardLoader)(n, x.View, y.View, generator.Seed, offset, p);
        return offset;
    }

    /// <summary><c>dx (+)= mask * dy / (1 - p)</c> with the mask of the forward draw at (seed, offset).</summary>
    public static void Backward(Tensor dy, Tensor dx, float p, ulong seed, ulong offset, bool accumulate = false)
    {
        CheckArguments("Dropout backward", dy, dx, p);
        dy.Device.Kernel(BackwardLoader)(Check.LaunchSize("Dropout", dy.Numel), dy.View, dx.View, seed, offset, p, Launch.Flag(accumulate));
    }

    private static void CheckArguments(string op, Tensor x, Tensor y, float p)
    {
        Check.SameDevice(op, x.Device, x, y);
        Check.SameShape(op, "output", y.Shape, "input", x.Shape);
        if (!(p >= 0f && p < 1f))
            throw new ArgumentException($"{op}: p must be in [0, 1), got {p}.", nameof(p));
    }
}
