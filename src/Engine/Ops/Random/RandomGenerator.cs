using Engine.Kernels.Random;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Random;

/// <summary>
/// A counter-based device random generator (Philox4x32-10). Each draw of n values takes the next
/// n counters, so a run is reproducible from its seed alone, on every backend, and a draw can be
/// regenerated from the (seed, offset) it used.
/// </summary>
public sealed class RandomGenerator
{
    /// <summary>Creates a generator; the same seed gives the same sequence of draws.</summary>
    public RandomGenerator(ulong seed) => Seed = seed;

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>
    /// The first counter of the next draw: with <see cref="Seed"/>, the generator's whole state.
    /// A checkpoint saves it and a resumed run sets it back, so the resumed draws are the ones an
    /// uninterrupted run would have made.
    /// </summary>
    public ulong Offset { get; set; }

    /// <summary>Reserves <paramref name="count"/> counters and returns the first.</summary>
    public ulong Advance(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ulong first = Offset;
        Offset += (ulong)count;
        return first;
    }

    /// <summary>Fills x with values uniform in <c>[low, high)</c>.</summary>
    public void Uniform(Tensor x, float low = 0f, float high = 1f)
    {
        Check.SameDevice("Uniform", x.Device, x);
        if (!(low < high))
            throw new ArgumentException($"Uniform: low {low} must be below high {high}.");
        int n = Check.LaunchSize("Uniform", x.Numel);
        x.Device.Kernel(RandomLoaders.Uniform)(n, x.View, Seed, Advance(n), low, high);
    }

    /// <summary>Fills x with normal values of the given mean and standard deviation.</summary>
    public void Normal(Tensor x, float mean = 0f, float std = 1f)
    {
        Check.SameDevice("Normal", x.Device, x);
        if (!(std >= 0))
            throw new ArgumentException($"Normal: std must be non-negative, got {std}.");
        int n = Check.LaunchSize("Normal", x.Numel);
        x.Device.Kernel(RandomLoaders.Normal)(n, x.View, Seed, Advance(n), mean, std);
    }
}
