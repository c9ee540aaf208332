using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Latent;

/// <summary>
/// The VAE's reparameterisation <c>z = mu + exp(logvar / 2) * eps</c> with <c>eps ~ N(0, I)</c>
/// drawn beforehand, so the sampling is differentiable in mu and logvar.
/// </summary>
public static class ReparameterizeKernels
{
    /// <summary><c>z = mu + exp(0.5 logvar) eps</c>.</summary>
    [Loader("Reparameterize.Forward")]
    public static void Forward(Index1D thread, WorkRange work, ArrayView<float> mu, ArrayView<float> logVar, ArrayView<float> eps, ArrayView<float> z)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            z[i] = mu[i] + XMath.Exp(0.5f * logVar[i]) * eps[i];
        }
    }

    /// <summary><c>dmu = dz</c>, <c>dlogvar = dz eps 0.5 exp(0.5 logvar)</c>.</summary>
    [Loader("Reparameterize.Backward")]
    public static void Backward(Index1D thread, WorkRange work, ArrayView<float> dz, ArrayView<float> logVar, ArrayView<float> eps,
        ArrayView<float> dMu, ArrayView<float> dLogVar, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = dz[i];
            float gl = g * eps[i] * 0.5f * XMath.Exp(0.5f * logVar[i]);
            dMu[i] = accumulate != 0 ? dMu[i] + g : g;
            dLogVar[i] = accumulate != 0 ? dLogVar[i] + gl : gl;
        }
    }
}
