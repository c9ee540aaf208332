using Engine.Kernels.Embedding;
using Engine.Ops;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Analysis;

/// <summary>
/// t-SNE's joint probabilities P <c>[N, N]</c> from points X <c>[N, D]</c> on the device: squared
/// distances, a per-point bisection on the Gaussian's precision to the requested perplexity, then
/// <c>p_ij = (p(j|i) + p(i|j)) / 2N</c> floored at float64's machine epsilon (as scikit-learn).
/// </summary>
internal static class TsneAffinities
{
    /// <summary>Bisection steps per point, as scikit-learn.</summary>
    internal const int Steps = 100;

    /// <summary>The floor on P and Q: float64's machine epsilon, scikit-learn's.</summary>
    internal const float Floor = 2.220446049250313e-16f;

    /// <summary>A new P <c>[N, N]</c> for <paramref name="x"/> <c>[N, D]</c>.</summary>
    internal static Tensor Joint(Tensor x, float perplexity, float tolerance)
    {
        int n = x.Shape[0], dims = x.Shape[1];
        var device = x.Device;
        int pairs = Check.LaunchSize("t-SNE", (long)n * n);
        // Two [N, N] buffers in turn: distances in the first, conditional probabilities in the
        // second, then P back in the first (which the caller owns).
        var first = Tensor.Empty(device, n, n);
        try
        {
            using var second = Tensor.Empty(device, n, n);
            device.Kernel(TsneAffinityLoaders.SquaredDistances)(pairs, x.View, first.View, n, dims);
            device.Kernel(TsneAffinityLoaders.ConditionalAffinities)(n, first.View, second.View, n, MathF.Log(perplexity), tolerance, Steps);
            device.Kernel(TsneAffinityLoaders.JointAffinities)(pairs, second.View, first.View, n, Floor);
        }
        catch
        {
            first.Dispose();
            throw;
        }
        return first;
    }
}
