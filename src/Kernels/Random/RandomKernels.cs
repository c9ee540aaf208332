using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Random;

/// <summary>
/// Device random numbers from <see cref="Philox"/>: element i of a draw uses counter
/// <c>offset + i</c>, so a draw is reproducible from (seed, offset) on every backend.
/// </summary>
public static class RandomKernels
{
    /// <summary>Uniform in <c>[low, high)</c>.</summary>
    [Loader("Random.Uniform")]
    public static void Uniform(Index1D thread, WorkRange work, ArrayView<float> y, ulong seed, ulong offset, float low, float high)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            Philox.Generate(offset + (ulong)(int)i, seed, out uint r0, out _, out _, out _);
            y[i] = low + (high - low) * Philox.ToUnit(r0);
        }
    }

    /// <summary>Normal with the given mean and standard deviation (Box-Muller).</summary>
    [Loader("Random.Normal")]
    public static void Normal(Index1D thread, WorkRange work, ArrayView<float> y, ulong seed, ulong offset, float mean, float std)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            y[i] = mean + ScaledNormal(offset + (ulong)(int)i, seed, std);
        }
    }

    /// <summary>Additive Gaussian noise (a denoising autoencoder's corruption): <c>y = x + std * n</c>, n normal from (seed, offset + i).</summary>
    [Loader("Noise.Gaussian")]
    public static void GaussianNoise(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, ulong seed, ulong offset, float std)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            y[i] = x[i] + ScaledNormal(offset + (ulong)(int)i, seed, std);
        }
    }

    // std * n for n standard normal from counter (seed, counter), Box-Muller, evaluated as (std * radius) * cos.
    private static float ScaledNormal(ulong counter, ulong seed, float std)
    {
        Philox.Generate(counter, seed, out uint r0, out uint r1, out _, out _);
        float u1 = ((int)(r0 >> 8) + 1) * (1f / 16777216f); // (0, 1]: log is finite
        float u2 = Philox.ToUnit(r1);
        float radius = XMath.Sqrt(-2f * XMath.Log(u1));
        return std * radius * XMath.Cos(2f * XMath.PI * u2);
    }

    /// <summary>
    /// A random mask, as dropout and masking noise draw it: <c>y (+)= u &gt;= p ? x / divisor : 0</c> with u
    /// uniform from (seed, offset + i). Inverted dropout divides by <c>1 - p</c>, forward and, on the
    /// gradient, backward; a denoising autoencoder's masking noise by 1 (Vincent et al. 2008: the kept
    /// values are not rescaled). The mask is never stored: backward draws it again from the same counters.
    /// </summary>
    [Loader("Random.Mask")]
    public static void Mask(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, ulong seed, ulong offset, float p, float divisor, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            Philox.Generate(offset + (ulong)(int)i, seed, out uint r0, out _, out _, out _);
            float v = Philox.ToUnit(r0) >= p ? x[i] / divisor : 0f;
            y[i] = accumulate != 0 ? y[i] + v : v;
        }
    }
}
