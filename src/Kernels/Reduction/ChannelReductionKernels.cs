using ILGPU;

namespace Engine.Kernels.Reduction;

/// <summary>
/// Per-channel reductions of an NCHW tensor seen as <c>[N, C, plane]</c>, in two stages that keep a
/// GPU busy and read memory coalesced, with no atomics and no shared memory (so every backend runs
/// them, in the same order). Stage one: <c>lanes</c> work-items per channel; lane <c>l</c> walks the
/// channel's <c>N * plane</c> values <c>e = l, l + lanes, l + 2 lanes, ...</c> (value <c>e</c> is
/// <c>x[e / plane, c, e % plane]</c>), so neighbouring work-items read neighbouring addresses, and
/// writes its partial result to <c>partial[c * lanes + l]</c>. Stage two: one work-item per channel
/// combines its lanes in order 0, 1, 2, .... The order of every addition depends on the shape and
/// the lane count only.
/// </summary>
public static class ChannelReductionKernels
{
    /// <summary>Stage one of a channel sum: <c>partial[c, l] = sum over the lane's values of x</c>.</summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index <c>c * lanes + l</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, plane]</c>.</param>
    /// <param name="partial">Partial sums <c>[C, lanes]</c>.</param>
    /// <param name="channels">C.</param>
    /// <param name="plane">Values per channel per image.</param>
    /// <param name="count">N * plane.</param>
    /// <param name="lanes">Work-items per channel.</param>
    [Loader("ChannelReduction.PartialSums")]
    public static void PartialSums(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> partial, int channels, int plane, long count, int lanes)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int c = element / lanes;
            int lane = element - c * lanes;
            float sum = 0f;
            for (long e = lane; e < count; e += lanes)
                sum += x[At(e, c, channels, plane)];
            partial[element] = sum;
        }
    }

    /// <summary>
    /// Stage one of the batch-norm statistics: each lane's mean and sum of squared deviations from
    /// it (Welford's update, one value at a time), merged in stage two by <see cref="MergeMoments"/>.
    /// </summary>
    [Loader("ChannelReduction.PartialMoments")]
    public static void PartialMoments(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> partialMean, ArrayView<float> partialM2,
        int channels, int plane, long count, int lanes)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int c = element / lanes;
            int lane = element - c * lanes;
            float mean = 0f, m2 = 0f, seen = 0f;
            for (long e = lane; e < count; e += lanes)
            {
                float v = x[At(e, c, channels, plane)];
                seen += 1f;
                float delta = v - mean;
                mean += delta / seen;
                m2 += delta * (v - mean);
            }
            partialMean[element] = mean;
            partialM2[element] = m2;
        }
    }

    /// <summary>
    /// Stage one of batch norm's parameter gradients: per lane <c>sum dy</c> and
    /// <c>sum dy * (x - mean[c]) * invStd[c]</c>.
    /// </summary>
    [Loader("ChannelReduction.PartialGradientSums")]
    public static void PartialGradientSums(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> partialDy, ArrayView<float> partialDyXhat, int channels, int plane, long count, int lanes)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int c = element / lanes;
            int lane = element - c * lanes;
            float m = mean[c], s = invStd[c];
            float sumDy = 0f, sumDyXhat = 0f;
            for (long e = lane; e < count; e += lanes)
            {
                long at = At(e, c, channels, plane);
                float g = dy[at];
                sumDy += g;
                sumDyXhat += g * (x[at] - m) * s;
            }
            partialDy[element] = sumDy;
            partialDyXhat[element] = sumDyXhat;
        }
    }

    /// <summary>Stage two of a sum: <c>y[c] = (accumulate ? y[c] : 0) + sum_l partial[c, l]</c>, lanes in order.</summary>
    [Loader("ChannelReduction.SumLanes")]
    public static void SumLanes(Index1D thread, WorkRange work, ArrayView<float> partial, ArrayView<float> y, int lanes, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            long at = (long)element * lanes;
            float sum = 0f;
            for (int l = 0; l < lanes; l++)
                sum += partial[at + l];
            y[element] = accumulate != 0 ? y[element] + sum : sum;
        }
    }

    /// <summary>
    /// Stage two of a sum that is also a parameter gradient: <c>y[c] = sum_l partial[c, l]</c> (this
    /// pass's sum, which the input gradient needs) and, when <paramref name="deliver"/> is 1,
    /// <c>target[c] = (accumulate ? target[c] : 0) + y[c]</c> in the same launch.
    /// </summary>
    [Loader("ChannelReduction.SumLanesAndDeliver")]
    public static void SumLanesAndDeliver(Index1D thread, WorkRange work, ArrayView<float> partial, ArrayView<float> y, ArrayView<float> target,
        int lanes, int deliver, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            long at = (long)element * lanes;
            float sum = 0f;
            for (int l = 0; l < lanes; l++)
                sum += partial[at + l];
            y[element] = sum;
            if (deliver != 0)
                target[element] = accumulate != 0 ? target[element] + sum : sum;
        }
    }

    /// <summary>
    /// Stage two of the batch-norm statistics: the lanes' (count, mean, M2) merged in order by Chan's
    /// formula into the channel's mean and biased variance; <c>invStd = 1 / sqrt(var + eps)</c>;
    /// with <paramref name="mode"/> 1 the running statistics move by <paramref name="momentum"/>
    /// toward the mean and the unbiased variance (PyTorch's BatchNorm2d); with <paramref name="mode"/>
    /// 2 <paramref name="invStd"/> receives the biased variance itself and nothing else is written
    /// (a synchronised batch norm merges the ranks' statistics from it).
    /// </summary>
    [Loader("ChannelReduction.MergeMoments")]
    public static void MergeMoments(Index1D thread, WorkRange work, ArrayView<float> partialMean, ArrayView<float> partialM2,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> runningMean, ArrayView<float> runningVar,
        long count, int lanes, float eps, float momentum, int mode)
    {
        for (int c = work.Begin(thread); c < work.End(thread); c++)
        {
            float m = 0f, m2 = 0f, seen = 0f;
            long at = (long)c * lanes;
            for (int l = 0; l < lanes; l++)
            {
                // Lane l holds the values e = l, l + lanes, ... below count.
                float n = l < count ? (float)((count - l + lanes - 1) / lanes) : 0f;
                if (n == 0f)
                    continue;
                float total = seen + n;
                float delta = partialMean[at + l] - m;
                m += delta * (n / total);
                m2 += partialM2[at + l] + delta * delta * (seen * n / total);
                seen = total;
            }
            float variance = m2 / seen;
            mean[c] = m;
            invStd[c] = mode == 2 ? variance : ILGPU.Algorithms.XMath.Rsqrt(variance + eps);
            if (mode == 1)
            {
                float unbiased = seen > 1f ? m2 / (seen - 1f) : variance;
                runningMean[c] = (1f - momentum) * runningMean[c] + momentum * m;
                runningVar[c] = (1f - momentum) * runningVar[c] + momentum * unbiased;
            }
        }
    }

    // Value e of channel c: image e / plane, position e % plane.
    private static long At(long e, int c, int channels, int plane)
    {
        long image = e / plane;
        return (image * channels + c) * plane + (e - image * plane);
    }
}
