using System.Runtime.InteropServices;
using Engine.Kernels.Normalization;
using Engine.Ops.Reduction;
using Engine.Tensors;

namespace Engine.Ops.Normalization;

/// <summary>
/// BatchNorm2d in training whose statistics span the batches of every rank (PyTorch's
/// <c>SyncBatchNorm</c>): the forward pass merges the ranks' per-channel (count, mean, variance)
/// in rank order by Chan's formula, in float64, so every rank normalises with the same statistics
/// as one process holding the whole batch; the backward pass sums <c>sum dy</c> and
/// <c>sum dy * xhat</c> over the ranks for the input gradient, while the parameter gradients stay
/// this rank's own (data-parallel training averages them with the rest). Each call exchanges
/// <c>O(C)</c> values through the communicator.
/// </summary>
public static class SyncBatchNormOp
{
    /// <summary>
    /// The training statistics of x <c>[N, C, H, W]</c> over every rank's batch into savedMean and
    /// savedInvStd <c>[C]</c>, the running statistics moved by <paramref name="momentum"/>
    /// (unbiased variance of the whole), then the normalisation into y (and its ReLU into
    /// <paramref name="activated"/> when given).
    /// </summary>
    public static void Forward(IRankGroup communicator, Tensor x, Tensor y, Tensor? activated, Tensor weight, Tensor bias,
        Tensor runningMean, Tensor runningVar, Tensor savedMean, Tensor savedInvStd, float momentum, float eps)
    {
        const string op = "SyncBatchNorm2d";
        ArgumentNullException.ThrowIfNull(communicator);
        var (n, channels, plane) = BatchNorm2dOp.CheckShapes(op, x, y, weight, bias, runningMean, runningVar, savedMean, savedInvStd);
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1))
            throw new ArgumentException($"{op}: eps must be positive and momentum within [0, 1], got eps {eps}, momentum {momentum}.");
        var device = x.Device;
        using var variance = Tensor.Empty(device, channels);
        ChannelReduction.MeanAndVariance(device, x.View, savedMean.View, variance.View, n, channels, plane);

        // This rank's [count, mean[C], variance[C]] in float64, gathered from every rank.
        var local = new double[1 + 2 * channels];
        local[0] = (double)n * plane;
        var means = savedMean.ToArray();
        var variances = variance.ToArray();
        for (int c = 0; c < channels; c++)
        {
            local[1 + c] = means[c];
            local[1 + channels + c] = variances[c];
        }
        var all = MemoryMarshal.Cast<byte, double>(communicator.AllGather(MemoryMarshal.AsBytes(local.AsSpan())));

        var runMean = runningMean.ToArray();
        var runVar = runningVar.ToArray();
        var invStd = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double seen = 0, mean = 0, m2 = 0;
            for (int r = 0; r < communicator.Size; r++)
            {
                var rank = all.Slice(r * local.Length, local.Length);
                double count = rank[0], total = seen + count;
                if (count == 0)
                    continue;
                double delta = rank[1 + c] - mean;
                mean += delta * (count / total);
                m2 += rank[1 + channels + c] * count + delta * delta * (seen * count / total);
                seen = total;
            }
            double biased = m2 / seen, unbiased = seen > 1 ? m2 / (seen - 1) : biased;
            means[c] = (float)mean;
            invStd[c] = (float)(1.0 / Math.Sqrt(biased + eps));
            runMean[c] = (1f - momentum) * runMean[c] + momentum * (float)mean;
            runVar[c] = (1f - momentum) * runVar[c] + momentum * (float)unbiased;
        }
        savedMean.CopyFrom(means);
        savedInvStd.CopyFrom(invStd);
        runningMean.CopyFrom(runMean);
        runningVar.CopyFrom(runVar);

        if (activated is null)
        {
            device.Kernel(BatchNormLoaders.Normalize)(Check.LaunchSize(op, x.Numel), x.View, y.View, savedMean.View, savedInvStd.View,
                weight.View, bias.View, channels, plane);
        }
        else
        {
            Check.SameShape(op, "activated", activated.Shape, "input", x.Shape);
            device.Kernel(BatchNormLoaders.NormalizeRelu)(Check.LaunchSize(op, x.Numel), x.View, y.View, activated.View,
                savedMean.View, savedInvStd.View, weight.View, bias.View, channels, plane);
        }
    }

    /// <summary>
    /// Gradients of <see cref="Forward"/>: dx from the sums over every rank (and the total count),
    /// dWeight and dBias (either may be null) this rank's own sums, added with <paramref name="accumulateParameters"/>.
    /// </summary>
    public static void Backward(IRankGroup communicator, Tensor x, Tensor dy, Tensor weight, Tensor savedMean, Tensor savedInvStd,
        Tensor? dx, Tensor? dWeight, Tensor? dBias, bool accumulate, bool accumulateParameters)
    {
        const string op = "SyncBatchNorm2d backward";
        ArgumentNullException.ThrowIfNull(communicator);
        var (n, channels, plane) = BatchNorm2dOp.CheckShapes(op, x, dy, weight, savedMean, savedInvStd);
        var device = x.Device;
        using var sumDy = Tensor.Empty(device, channels);
        using var sumDyXhat = Tensor.Empty(device, channels);
        ChannelReduction.GradientSums(device, x.View, dy.View, savedMean.View, savedInvStd.View, sumDyXhat.View, sumDy.View, n, channels, plane,
            dWeight?.View, dBias?.View, accumulateParameters);
        if (dx is null)
            return;
        Check.SameDevice(op, device, dx);
        Check.SameShape(op, "input gradient", dx.Shape, "input", x.Shape);
        // [sum dy[C], sum dy xhat[C], count], summed over the ranks.
        var sums = new float[2 * channels + 1];
        sumDy.CopyTo(sums.AsSpan(0, channels));
        sumDyXhat.CopyTo(sums.AsSpan(channels, channels));
        sums[^1] = (float)n * plane;
        communicator.AllReduceSum(sums);
        sumDy.CopyFrom(sums.AsSpan(0, channels));
        sumDyXhat.CopyFrom(sums.AsSpan(channels, channels));
        device.Kernel(BatchNormLoaders.InputGradient)(Check.LaunchSize(op, x.Numel), x.View, dy.View, savedMean.View, savedInvStd.View, weight.View,
            sumDy.View, sumDyXhat.View, dx.View, channels, plane, sums[^1], 1, Launch.Flag(accumulate));
    }
}
