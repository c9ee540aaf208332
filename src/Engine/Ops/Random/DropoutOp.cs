using Engine.Kernels.Random;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Random;

/// <summary>
/// Inverted dropout: in training each element is zeroed with probability p and the rest scaled
/// by <c>1 / (1 - p)</c>. The mask is not stored: backward regenerates it from the (seed, offset)
/// the forward pass used.
/// </summary>
public static class DropoutOp
{
    /// <summary>
    /// <c>y (+)= u &gt;= p ? x / divisor : 0</c> with the mask drawn at (seed, offset): dropout's and the
    /// masking noise's draw (<see cref="RandomKernels.Mask"/>).
    /// </summary>
    internal static void Mask(Tensor x, Tensor y, ulong seed, ulong offset, float p, float divisor, bool accumulate) =>
        x.Device.Kernel(RandomLoaders.Mask)(Check.LaunchSize("Mask", x.Numel), x.View, y.View, seed, offset, p, divisor, Launch.Flag(accumulate));

    /// <summary>Applies dropout with counters from <paramref name="generator"/>; returns the offset used (for backward).</summary>
    public static ulong Forward(Tensor x, Tensor y, float p, RandomGenerator generator)
    {
        CheckArguments("Dropout", x, y, p);
        ulong offset = generator.Advance(Check.LaunchSize("Dropout", x.Numel));
        Mask(x, y, generator.Seed, offset, p, 1f - p, accumulate: false);
        return offset;
    }

    /// <summary><c>dx (+)= mask * dy / (1 - p)</c> with the mask of the forward draw at (seed, offset).</summary>
    public static void Backward(Tensor dy, Tensor dx, float p, ulong seed, ulong offset, bool accumulate = false)
    {
        CheckArguments("Dropout backward", dy, dx, p);
        Mask(dy, dx, seed, offset, p, 1f - p, accumulate);
    }

    private static void CheckArguments(string op, Tensor x, Tensor y, float p)
    {
        Check.SameDevice(op, x.Device, x, y);
        Check.SameShape(op, "output", y.Shape, "input", x.Shape);
        if (!(p >= 0f && p < 1f))
            throw new ArgumentException($"{op}: p must be in [0, 1), got {p}.", nameof(p));
    }
}
