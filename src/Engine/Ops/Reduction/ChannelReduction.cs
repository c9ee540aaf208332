using Engine.Devices;
using Engine.Kernels.Reduction;
using Engine.Tensors;
using ILGPU;

namespace Engine.Ops.Reduction;

/// <summary>
/// Per-channel reductions of <c>[N, C, plane]</c> tensors in two launches (see
/// <see cref="ChannelReductionKernels"/>): enough work-items to fill a GPU in the first, reading
/// coalesced, and a fixed order of additions that depends on the shape only, so every device
/// computes the same sums in the same order. Bias gradients and batch norm use them.
/// </summary>
internal static class ChannelReduction
{
    /// <summary>Most work-items per channel in stage one.</summary>
    internal const int MaxLanes = 1024;

    /// <summary>Fewest values a lane sums (below it, fewer lanes).</summary>
    internal const int MinValuesPerLane = 32;

    /// <summary>Stage-one work-items per channel for <paramref name="count"/> values per channel: up to <see cref="MaxLanes"/>, each summing at least <see cref="MinValuesPerLane"/>.</summary>
    internal static int Lanes(long count) => (int)Math.Clamp(count / MinValuesPerLane, 1, MaxLanes);

    /// <summary><c>y[c] (+)= sum over n and the plane of x[n, c, :]</c> (a bias gradient).</summary>
    internal static void Sum(ComputeDevice device, ArrayView<float> x, ArrayView<float> y, int n, int channels, int plane, bool accumulate)
    {
        long count = (long)n * plane;
        int lanes = Lanes(count);
        int size = Check.LaunchSize("channel sum", (long)channels * lanes);
        using var partial = Tensor.Empty(device, size);
        device.Kernel(ChannelReductionLoaders.PartialSums)(size, x, partial.View, channels, plane, count, lanes);
        device.Kernel(ChannelReductionLoaders.SumLanes)(channels, partial.View, y, lanes, Launch.Flag(accumulate));
    }

    /// <summary>
    /// Batch-norm training statistics: per channel the mean and <c>1 / sqrt(biased variance + eps)</c>,
    /// and the running statistics moved by <paramref name="momentum"/> (unbiased variance).
    /// </summary>
    internal static void Moments(ComputeDevice device, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> runningMean, ArrayView<float> runningVar, int n, int channels, int plane, float eps, float momentum) =>
        MergedMoments(device, x, mean, invStd, runningMean, runningVar, n, channels, plane, eps, momentum, mode: 1);

    /// <summary>
    /// Per channel the mean and the biased variance of <paramref name="x"/> <c>[N, C, plane]</c>
    /// (what a synchronised batch norm merges across ranks); nothing else is written.
    /// </summary>
    internal static void MeanAndVariance(ComputeDevice device, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> variance, int n, int channels, int plane) =>
        MergedMoments(device, x, mean, variance, mean, variance, n, channels, plane, 0f, 0f, mode: 2);

    // Stage one (Welford per lane), then stage two (Chan's merge) in MergeMoments' mode: 1 writes
    // 1/std and moves the running statistics, 2 writes the variance and nothing else.
    private static void MergedMoments(ComputeDevice device, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> second,
        ArrayView<float> runningMean, ArrayView<float> runningVar, int n, int channels, int plane, float eps, float momentum, int mode)
    {
        long count = (long)n * plane;
        int lanes = Lanes(count);
        int size = Check.LaunchSize("batch norm statistics", (long)channels * lanes);
        using var partialMean = Tensor.Empty(device, size);
        using var partialM2 = Tensor.Empty(device, size);
        device.Kernel(ChannelReductionLoaders.PartialMoments)(size, x, partialMean.View, partialM2.View, channels, plane, count, lanes);
        device.Kernel(ChannelReductionLoaders.MergeMoments)(channels, partialMean.View, partialM2.View, mean, second, runningMean, runningVar, count, lanes, eps, momentum, mode);
    }

    /// <summary>
    /// Per channel <c>sum dy</c> and <c>sum dy * (x - mean) * invStd</c> (batch norm's parameter
    /// gradients), overwriting <paramref name="sumDy"/> and <paramref name="sumDyXhat"/>, and
    /// delivered in the same launches to <paramref name="dBias"/> and <paramref name="dWeight"/>
    /// when given (added with <paramref name="accumulate"/>).
    /// </summary>
    internal static void GradientSums(ComputeDevice device, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> sumDyXhat, ArrayView<float> sumDy, int n, int channels, int plane,
        ArrayView<float>? dWeight, ArrayView<float>? dBias, bool accumulate)
    {
        long count = (long)n * plane;
        int lanes = Lanes(count);
        int size = Check.LaunchSize("batch norm backward", (long)channels * lanes);
        using var partialDy = Tensor.Empty(device, size);
        using var partialDyXhat = Tensor.Empty(device, size);
        device.Kernel(ChannelReductionLoaders.PartialGradientSums)(size, x, dy, mean, invStd, partialDy.View, partialDyXhat.View, channels, plane, count, lanes);
        device.Kernel(ChannelReductionLoaders.SumLanesAndDeliver)(channels, partialDy.View, sumDy, dBias ?? sumDy, lanes, Launch.Flag(dBias is not null), Launch.Flag(accumulate));
        device.Kernel(ChannelReductionLoaders.SumLanesAndDeliver)(channels, partialDyXhat.View, sumDyXhat, dWeight ?? sumDyXhat, lanes, Launch.Flag(dWeight is not null), Launch.Flag(accumulate));
    }

    /// <summary>Bytes <see cref="Sum"/> allocates for a while: its per-lane partial sums.</summary>
    internal static long SumWorkspace(int n, int channels, int plane) => 4L * channels * Lanes((long)n * plane);

    /// <summary>Bytes <see cref="Moments"/> (and <see cref="GradientSums"/>) allocate for a while: two per-lane partials.</summary>
    internal static long PairWorkspace(int n, int channels, int plane) => 2 * SumWorkspace(n, channels, plane);
}
