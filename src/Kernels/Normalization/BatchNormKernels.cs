using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Normalization;

/// <summary>
/// BatchNorm2d over <c>[N, C, plane]</c> (plane = H * W): per-channel statistics (one work-item
/// per channel, two passes in a fixed order: deterministic), normalisation, and the backward pass.
/// </summary>
public static class BatchNormKernels
{
    /// <summary>
    /// Training statistics of channel c: the batch mean and biased variance over N * plane values,
    /// <c>invStd = 1 / sqrt(var + eps)</c>; when <paramref name="updateRunning"/> is 1 also
    /// <c>running = (1 - momentum) running + momentum * stat</c>, with the unbiased variance.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index c: Channel.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, plane]</c>.</param>
    /// <param name="mean">Batch mean <c>[C]</c> (saved for backward).</param>
    /// <param name="invStd">Batch 1/std <c>[C]</c> (saved for backward).</param>
    /// <param name="runningMean">Running mean <c>[C]</c>.</param>
    /// <param name="runningVar">Running variance <c>[C]</c>.</param>
    /// <param name="n">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="plane">H * W.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="momentum">Running-statistics momentum (PyTorch's, default 0.1).</param>
    /// <param name="updateRunning">1 to update the running statistics.</param>
    public static void TrainingStats(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> runningMean, ArrayView<float> runningVar, int n, int channels, int plane, float eps, float momentum, int updateRunning)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D c = element;
            float sum = 0f;
            for (int image = 0; image < n; image++)
            {
                long at = ((long)image * channels + c) * plane;
                for (int s = 0; s < plane; s++)
                    sum += x[at + s];
            }
            float count = (float)n * plane;
            float m = sum / count;
            float squares = 0f;
            for (int image = 0; image < n; image++)
            {
                long at = ((long)image * channels + c) * plane;
                for (int s = 0; s < plane; s++)
                {
                    float d = x[at + s] - m;
                    squares += d * d;
                }
            }
            float variance = squares / count;
            mean[c] = m;
            invStd[c] = XMath.Rsqrt(variance + eps);
            if (updateRunning != 0)
            {
                float unbiased = count > 1f ? squares / (count - 1f) : variance;
                runningMean[c] = (1f - momentum) * runningMean[c] + momentum * m;
                runningVar[c] = (1f - momentum) * runningVar[c] + momentum * unbiased;
            }
        }
    }

    /// <summary>Evaluation statistics: <c>mean = runningMean</c>, <c>invStd = 1 / sqrt(runningVar + eps)</c>.</summary>
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
    /// Per-channel sums for the backward pass: <c>dBeta = sum dy</c>, <c>dGamma = sum dy * xhat</c>
    /// with <c>xhat = (x - mean) * invStd</c>; written (or added, with accumulate) into the parameter gradients.
    /// </summary>
    public static void ParameterGradients(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> dGamma, ArrayView<float> dBeta, int n, int channels, int plane, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D c = element;
            float m = mean[c], s = invStd[c];
            float sumDy = 0f, sumDyXhat = 0f;
            for (int image = 0; image < n; image++)
            {
                long at = ((long)image * channels + c) * plane;
                for (int p = 0; p < plane; p++)
                {
                    float g = dy[at + p];
                    sumDy += g;
                    sumDyXhat += g * (x[at + p] - m) * s;
                }
            }
            dBeta[c] = accumulate != 0 ? dBeta[c] + sumDy : sumDy;
            dGamma[c] = accumulate != 0 ? dGamma[c] + sumDyXhat : sumDyXhat;
        }
    }

    /// <summary>
    /// Input gradient. Training (batch statistics):
    /// <c>dx = gamma * invStd / M * (M dy - sum dy - xhat * sum(dy xhat))</c> with M = N * plane;
    /// evaluation (fixed statistics): <c>dx = gamma * invStd * dy</c>. The two sums are the
    /// channel's dBeta and dGamma contributions of this pass (<paramref name="sumDy"/>, <paramref name="sumDyXhat"/>).
    /// </summary>
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
