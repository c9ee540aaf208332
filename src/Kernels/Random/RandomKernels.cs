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
    public static void Normal(Index1D thread, WorkRange work, ArrayView<float> y, ulong seed, ulong offset, float mean, float std)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            Philox.Generate(offset + (ulong)(int)i, seed, out uint r0, out uint r1, out _, out _);
            float u1 = ((int)(r0 >> 8) + 1) * (1f / 16777216f); // (0, 1]: log is finite
            float u2 = Philox.ToUnit(r1);
            float radius = XMath.Sqrt(-2f * XMath.Log(u1));
            y[i] = mean + std * radius * XMath.Cos(2f * XMath.PI * u2);
        }
    }

    /// <summary>Additive Gaussian noise (a denoising autoencoder's corruption): <c>y = x + std * n</c>, n normal from (seed, offset + i).</summary>
    public static void GaussianNoise(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, ulong seed, ulong offset, float std)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            Philox.Generate(offset + (ulong)(int)i, seed, out uint r0, out uint r1, out _, out _);
            float u1 = ((int)(r0 >> 8) + 1) * (1f / 16777216f); // (0, 1]: log is finite
            float u2 = Philox.ToUnit(r1);
            y[i] = x[i] + std * XMath.Sqrt(-2f * XMath.Log(u1)) * XMath.Cos(2f * XMath.PI * u2);
        }
    }

    /// <summary>
    /// Masking noise (Vincent et al. 2008): <c>y = u &gt;= fraction ? x : 0</c> with u uniform from
    /// (seed, offset + i); unlike dropout the kept values are not scaled. Given a gradient as
    /// <paramref name="x"/>, the same mask applied to it (added to <paramref name="y"/> when <paramref name="accumulate"/> is set).
    /// </summary>
    public static void MaskingNoise(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, ulong seed, ulong offset, float fraction, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            Philox.Generate(offset + (ulong)(int)i, seed, out uint r0, out _, out _, out _);
            float v = Philox.ToUnit(r0) >= fraction ? x[i] : 0f;
            y[i] = accumulate != 0 ? y[i] + v : v;
        }
    }

    /// <summary>Inverted dropout: <c>y = u &gt;= p ? x / (1 - p) : 0</c> with u uniform from (seed, offset + i).</summary>
    public static void DropoutForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, ulong seed, ulong offset, float p)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            Philox.Generate(offset + (ulong)(int)i, seed, out uint r0, out _, out _, out _);
            y[i] = Philox.ToUnit(r0) >= p ? x[i] / (1f - p) : 0f;
        }
    }

    /// <summary>Dropout backward, regenerating the same mask: <c>dx = u &gt;= p ? dy / (1 - p) : 0</c>.</summary>
    public static void DropoutBackward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<float> dx, ulong seed, ulong offset, float p, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            Philox.Generate(offset + (ulong)(int)i, seed, out uint r0, out _, out _, out _);
            float g = Philox.ToUnit(r0) >= p ? dy[i] / (1f - p) : 0f;
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }
}
