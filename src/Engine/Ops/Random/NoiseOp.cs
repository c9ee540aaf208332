using Engine.Kernels.Random;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Random;

/// <summary>
/// Input corruption for denoising autoencoders, drawn on the device from the graph's counter-based
/// generator (reproducible from seed and offset on every backend): Gaussian <c>y = x + level n</c>
/// or masking <c>y = mask x</c>. The backward pass passes the gradient (Gaussian) or regenerates
/// the mask from the forward's offset (masking).
/// </summary>
public static class NoiseOp
{
    /// <summary>Checks a noise kind and level: a Gaussian's standard deviation is finite and at least 0, a masking fraction in [0, 1).</summary>
    public static void CheckLevel(string op, NoiseKind kind, float level)
    {
        if (kind == NoiseKind.Gaussian && !(level >= 0f && float.IsFinite(level)))
            throw new ArgumentException($"{op}: the Gaussian noise's standard deviation must be a finite number of at least 0, got {level}.", nameof(level));
        if (kind == NoiseKind.Masking && !(level >= 0f && level < 1f))
            throw new ArgumentException($"{op}: the masking noise's fraction must be in [0, 1), got {level}.", nameof(level));
        if (!Enum.IsDefined(kind))
            throw new ArgumentException($"{op}: unknown noise kind {(int)kind}.", nameof(kind));
    }

    /// <summary>Corrupts <paramref name="x"/> into <paramref name="y"/> with counters from <paramref name="generator"/>; returns the offset used (for backward).</summary>
    public static ulong Forward(NoiseKind kind, Tensor x, Tensor y, float level, RandomGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        CheckArguments("Noise", kind, x, y, level);
        int n = Check.LaunchSize("Noise", x.Numel);
        ulong offset = generator.Advance(n);
        if (kind == NoiseKind.Gaussian)
            x.Device.Kernel(RandomLoaders.GaussianNoise)(n, x.View, y.View, generator.Seed, offset, level);
        else
            DropoutOp.Mask(x, y, generator.Seed, offset, level, 1f, accumulate: false); // kept values not rescaled
        return offset;
    }

    /// <summary><c>dx (+)= dy</c> (Gaussian) or <c>dx (+)= mask dy</c> with the mask of the forward draw at (seed, offset).</summary>
    public static void Backward(NoiseKind kind, Tensor dy, Tensor dx, float level, ulong seed, ulong offset, bool accumulate = false)
    {
        CheckArguments("Noise backward", kind, dy, dx, level);
        if (kind == NoiseKind.Gaussian)
        {
            if (accumulate)
                TensorOps.Axpy(1f, dy, dx);
            else
                TensorOps.Copy(dy, dx);
            return;
        }
        DropoutOp.Mask(dy, dx, seed, offset, level, 1f, accumulate);
    }

    private static void CheckArguments(string op, NoiseKind kind, Tensor x, Tensor y, float level)
    {
        Check.SameDevice(op, x.Device, x, y);
        Check.SameShape(op, "output", y.Shape, "input", x.Shape);
        CheckLevel(op, kind, level);
    }
}
