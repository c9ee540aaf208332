using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Activation;

/// <summary>
/// Softmax and log-softmax along the channel axis of <c>[N, C, plane]</c> (plane = 1 for
/// <c>[N, C]</c> logits): one work-item per (n, position) walks its C values, subtracting the
/// maximum first so large logits do not overflow.
/// </summary>
public static class SoftmaxKernels
{
    /// <summary>
    /// <c>y = softmax(x)</c>, or <c>log_softmax(x)</c> when <paramref name="logarithm"/> is 1.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Position index over <c>N * plane</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, plane]</c>.</param>
    /// <param name="y">Output <c>[N, C, plane]</c>.</param>
    /// <param name="channels">C.</param>
    /// <param name="plane">Positions per image.</param>
    /// <param name="logarithm">1 for log-softmax.</param>
    [Loader("Softmax.Forward")]
    public static void Forward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, int channels, int plane, int logarithm)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            long b = (long)((int)i / plane) * channels * plane + (int)i % plane;
            MaxAndSumExp(x, b, channels, plane, out float max, out float sum);
            float logSum = XMath.Log(sum);
            for (int c = 0; c < channels; c++)
            {
                float shifted = x[b + (long)c * plane] - max;
                y[b + (long)c * plane] = logarithm != 0 ? shifted - logSum : XMath.Exp(shifted) / sum;
            }
        }
    }

    /// <summary>
    /// Backward from the forward output y: softmax <c>dx = y (dy - sum(dy y))</c>; log-softmax
    /// <c>dx = dy - exp(y) sum(dy)</c>.
    /// </summary>
    [Loader("Softmax.Backward")]
    public static void Backward(Index1D thread, WorkRange work, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int channels, int plane, int logarithm, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            long b = (long)((int)i / plane) * channels * plane + (int)i % plane;
            float dot = 0f;
            for (int c = 0; c < channels; c++)
            {
                long at = b + (long)c * plane;
                dot += logarithm != 0 ? dy[at] : dy[at] * y[at];
            }
            for (int c = 0; c < channels; c++)
            {
                long at = b + (long)c * plane;
                float g = logarithm != 0 ? dy[at] - XMath.Exp(y[at]) * dot : y[at] * (dy[at] - dot);
                dx[at] = accumulate != 0 ? dx[at] + g : g;
            }
        }
    }

    /// <summary>
    /// The maximum of the C values at <c>b + c * plane</c> and <c>sum exp(x - max)</c>: the stable
    /// pieces of log-sum-exp, shared by softmax and cross-entropy.
    /// </summary>
    internal static void MaxAndSumExp(ArrayView<float> x, long b, int channels, int plane, out float max, out float sum)
    {
        max = float.NegativeInfinity;
        for (int c = 0; c < channels; c++)
            max = IntrinsicMath.Max(max, x[b + (long)c * plane]);
        sum = 0f;
        for (int c = 0; c < channels; c++)
            sum += XMath.Exp(x[b + (long)c * plane] - max);
    }
}
