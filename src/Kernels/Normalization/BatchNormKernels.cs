using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Normalization;

/// <summary>
/// BatchNorm2d over <c>[N, C, plane]</c> (plane = H * W): evaluation statistics, normalisation and
/// the input gradient. The per-channel reductions (training statistics, parameter gradients) are
/// two-stage kernels in <c>ChannelReductionKernels</c>.
/// </summary>
public static class BatchNormKernels
{
    /// <summary>Evaluation statistics: <c>mean = runningMean</c>, <c>invStd = 1 / sqrt(runningVar + eps)</c>.</summary>
    [Loader("BatchNorm.EvalStats")]
    public static void EvalStats(Index1D thread, WorkRange work, ArrayView<float> runningMean, ArrayView<float> runningVar,
        ArrayView<float> mean, ArrayView<float> invStd, float eps)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D c = element;
            mean[c] = runningMean[c];
            invStd[c] = XMath.Rsqrt(runningVar[c] + eps);
        }
    }

    /// <summary><c>y = (x - mean[c]) * invStd[c] * gamma[c] + beta[c]</c>; one work-item per element.</summary>
    [Loader("BatchNorm.Normalize")]
    public static void Normalize(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> gamma, ArrayView<float> beta, int channels, int plane)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int c = (i / plane) % channels;
            y[i] = (x[i] - mean[c]) * invStd[c] * gamma[c] + beta[c];
        }
    }

    /// <summary>
    /// <see cref="Normalize"/> and the ReLU after it, fused: <c>y = v</c> (the pre-activation, which
    /// ReLU's backward reads) and <c>activated = v &lt; 0 ? 0 : v</c>, with v computed as Normalize does:
    /// the bits of the two kernels in one launch.
    /// </summary>
    [Loader("BatchNorm.NormalizeRelu")]
    public static void NormalizeRelu(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, ArrayView<float> activated,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> gamma, ArrayView<float> beta, int channels, int plane)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int c = (i / plane) % channels;
            float v = (x[i] - mean[c]) * invStd[c] * gamma[c] + beta[c];
            y[i] = v;
            activated[i] = v < 0f ? 0f : v;
        }
    }

    /// <summary>
    /// Input gradient. Training (batch statistics):
    /// <c>dx = gamma * invStd / M * (M dy - sum dy - xhat * sum(dy xhat))</c> with M = N * plane;
    /// evaluation (fixed statistics): <c>dx = gamma * invStd * dy</c>. The two sums are the
    /// channel's dBeta and dGamma contributions of this pass (<paramref name="sumDy"/>, <paramref name="sumDyXhat"/>).
    /// </summary>
    [Loader("BatchNorm.InputGradient")]
    public static void InputGradient(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> gamma, ArrayView<float> sumDy, ArrayView<float> sumDyXhat, ArrayView<float> dx,
        int channels, int plane, float count, int training, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int c = (i / plane) % channels;
            float s = invStd[c];
            float g;
            if (training != 0)
            {
                float xhat = (x[i] - mean[c]) * s;
                g = gamma[c] * s / count * (count * dy[i] - sumDy[c] - xhat * sumDyXhat[c]);
            }
            else
            {
                g = gamma[c] * s * dy[i];
            }
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }
}
