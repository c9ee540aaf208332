using Engine.Devices;
using Engine.Kernels.Normalization;
using Engine.Ops.Reduction;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Normalization;

/// <summary>
/// BatchNorm2d, PyTorch's semantics: training normalises with the batch mean and biased variance
/// (eps 1e-5 by default) and updates the running statistics with momentum 0.1 and the unbiased
/// variance; evaluation uses the running statistics. The forward pass saves the mean and
/// <c>1/std</c> it used (<c>[C]</c> each) for the backward pass.
/// </summary>
public static class BatchNorm2dOp
{
    /// <summary>
    /// <see cref="Forward"/> followed by a ReLU, normalisation and ReLU in one pass: y receives the
    /// normalised values (what ReLU's backward reads) and <paramref name="activated"/> their ReLU.
    /// </summary>
    public static void ForwardRelu(Tensor x, Tensor y, Tensor activated, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
        Tensor savedMean, Tensor savedInvStd, bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        Check.SameDevice("BatchNorm2d", x.Device, x, activated);
        Check.SameShape("BatchNorm2d", "activated", activated.Shape, "input", x.Shape);
        if (x.Device.Paths.Host)
        {
            Forward(x, y, weight, bias, runningMean, runningVar, savedMean, savedInvStd, training, momentum, eps);
            Activation.ActivationOp.Forward(Activation.ActivationKind.Relu, y, activated);
            return;
        }
        ForwardStatistics(x, y, weight, bias, runningMean, runningVar, savedMean, savedInvStd, training, momentum, eps, normalize: false);
        var (_, channels, plane) = (x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3]);
        x.Device.Kernel(BatchNormLoaders.NormalizeRelu)(Check.LaunchSize("BatchNorm2d", x.Numel), x.View, y.View, activated.View,
            savedMean.View, savedInvStd.View, weight.View, bias.View, channels, plane);
    }

    /// <summary>
    /// Normalises x <c>[N, C, H, W]</c> into y. weight (gamma) and bias (beta) are <c>[C]</c>;
    /// runningMean/runningVar <c>[C]</c> are read in evaluation and updated in training;
    /// savedMean/savedInvStd <c>[C]</c> receive the statistics used.
    /// </summary>
    public static void Forward(Tensor x, Tensor y, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
        Tensor savedMean, Tensor savedInvStd, bool training, float momentum = 0.1f, float eps = 1e-5f) =>
        ForwardStatistics(x, y, weight, bias, runningMean, runningVar, savedMean, savedInvStd, training, momentum, eps, normalize: true);

    // The statistics, then (unless the caller fuses it with what follows) the normalisation.
    private static void ForwardStatistics(Tensor x, Tensor y, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
        Tensor savedMean, Tensor savedInvStd, bool training, float momentum, float eps, bool normalize)
    {
        const string op = "BatchNorm2d";
        var (n, channels, plane) = CheckShapes(op, x, y, weight, bias, runningMean, runningVar, savedMean, savedInvStd);
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1))
            throw new ArgumentException($"{op}: eps must be positive and momentum within [0, 1], got eps {eps}, momentum {momentum}.");
        if (training && (long)n * plane < 2)
            throw new ArgumentException($"{op}: training needs more than one value per channel, got input {x.Shape}.", nameof(x));
        var device = x.Device;
        if (device.Paths.Host)
        {
            device.Synchronize();
            if (training)
                BatchNormHost.TrainingStats(x.View, savedMean.View, savedInvStd.View, runningMean.View, runningVar.View, n, channels, plane, eps, momentum, updateRunning: true);
            else
                device.Kernel(BatchNormLoaders.EvalStats)(channels, runningMean.View, runningVar.View, savedMean.View, savedInvStd.View, eps);
            BatchNormHost.Normalize(x.View, y.View, savedMean.View, savedInvStd.View, weight.View, bias.View, n, channels, plane);
            return;
        }
        if (training)
        {
            ChannelReduction.Moments(device, x.View, savedMean.View, savedInvStd.View, runningMean.View, runningVar.View,
                n, channels, plane, eps, momentum);
        }
        else
        {
            device.Kernel(BatchNormLoaders.EvalStats)(channels, runningMean.View, runningVar.View, savedMean.View, savedInvStd.View, eps);
        }
        if (normalize)
            device.Kernel(BatchNormLoaders.Normalize)(Check.LaunchSize(op, x.Numel), x.View, y.View, savedMean.View, savedInvStd.View, weight.View, bias.View, channels, plane);
    }

    /// <summary>
    /// Gradients of <see cref="Forward"/> from the saved statistics. dx may be null; dWeight and
    /// dBias may be null (frozen parameters). Adds into dx with <paramref name="accumulate"/>, and
    /// into the parameter gradients with <paramref name="accumulateParameters"/> (default: the same).
    /// </summary>
    public static void Backward(Tensor x, Tensor dy, Tensor weight, Tensor savedMean, Tensor savedInvStd, bool training,
        Tensor? dx, Tensor? dWeight, Tensor? dBias, bool accumulate = false, bool? accumulateParameters = null)
    {
        const string op = "BatchNorm2d backward";
        var (n, channels, plane) = CheckShapes(op, x, dy, weight, weight, weight, weight, savedMean, savedInvStd);
        var device = x.Device;
        using var sumDy = Tensor.Empty(device, channels);
        using var sumDyXhat = Tensor.Empty(device, channels);
        bool host = device.Paths.Host;
        if (host)
        {
            device.Synchronize();
            BatchNormHost.ParameterGradients(x.View, dy.View, savedMean.View, savedInvStd.View, sumDyXhat.View, sumDy.View, n, channels, plane);
        }
        else
        {
            CheckParameterGradient(op, device, dWeight, channels);
            CheckParameterGradient(op, device, dBias, channels);
            ChannelReduction.GradientSums(device, x.View, dy.View, savedMean.View, savedInvStd.View, sumDyXhat.View, sumDy.View, n, channels, plane,
                dWeight?.View, dBias?.View, accumulateParameters ?? accumulate);
        }
        if (dx is not null && host)
        {
            Check.SameDevice(op, device, dx);
            Check.SameShape(op, "input gradient", dx.Shape, "input", x.Shape);
            BatchNormHost.InputGradient(x.View, dy.View, savedMean.View, savedInvStd.View, weight.View, sumDy.View, sumDyXhat.View, dx.View,
                n, channels, plane, (float)n * plane, training, accumulate);
        }
        else if (dx is not null)
        {
            Check.SameDevice(op, device, dx);
            Check.SameShape(op, "input gradient", dx.Shape, "input", x.Shape);
            device.Kernel(BatchNormLoaders.InputGradient)(Check.LaunchSize(op, x.Numel), x.View, dy.View, savedMean.View, savedInvStd.View, weight.View,
                sumDy.View, sumDyXhat.View, dx.View, channels, plane, (float)n * plane, Launch.Flag(training), Launch.Flag(accumulate));
        }
        if (host)
        {
            Deliver(op, sumDyXhat, dWeight, accumulateParameters ?? accumulate);
            Deliver(op, sumDy, dBias, accumulateParameters ?? accumulate);
        }
    }

    private static void CheckParameterGradient(string op, ComputeDevice device, Tensor? target, int channels)
    {
        if (target is null)
            return;
        Check.SameDevice(op, device, target);
        Check.SameShape(op, "parameter gradient", target.Shape, "channels", new Shape(channels));
    }

    private static void Deliver(string op, Tensor computed, Tensor? target, bool accumulate)
    {
        if (target is null)
            return;
        Check.SameShape(op, "parameter gradient", target.Shape, "channels", computed.Shape);
        if (accumulate)
            TensorOps.Axpy(1f, computed, target);
        else
            TensorOps.Copy(computed, target);
    }

    internal static (int N, int C, int Plane) CheckShapes(string op, Tensor x, Tensor y, params Tensor[] perChannel)
    {
        Check.SameDevice(op, x.Device, [x, y, .. perChannel]);
        if (x.Shape.Rank != 4)
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {x.Shape}.", nameof(x));
        Check.SameShape(op, "output", y.Shape, "input", x.Shape);
        int channels = x.Shape[1];
        foreach (var t in perChannel)
        {
            if (t.Shape != new Shape(channels))
                throw new ArgumentException($"{op}: per-channel tensors must be [{channels}] for input {x.Shape}, got {t.Shape}.");
        }
        return (x.Shape[0], channels, x.Shape[2] * x.Shape[3]);
    }

    /// <summary>Device bytes the training statistics of an input <paramref name="shape"/> allocate for a while (the kernels' per-lane partials; none on the host path).</summary>
    internal static long StatisticsWorkspace(Devices.ComputeDevice device, Shape shape)
    {
        var (n, channels, plane) = Dimensions(shape);
        return device.Paths.Host ? 0 : ChannelReduction.PairWorkspace(n, channels, plane);
    }

    /// <summary>Device bytes <see cref="Backward"/> holds at once for an input <paramref name="shape"/>: the two channel sums, and the kernels' partials.</summary>
    internal static long BackwardWorkspace(Devices.ComputeDevice device, Shape shape)
    {
        var (n, channels, plane) = Dimensions(shape);
        return 8L * channels + (device.Paths.Host ? 0 : ChannelReduction.PairWorkspace(n, channels, plane));
    }

    private static (int N, int Channels, int Plane) Dimensions(Shape shape) =>
        (shape[0], shape[1], (int)(shape.Numel / ((long)shape[0] * shape[1])));
}
