using Engine.Devices;
using Engine.Kernels.Pooling;
using Engine.Ops.Convolution;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Pooling;

/// <summary>
/// A validated adaptive pooling, PyTorch's <c>adaptive_avg_pool2d</c> / <c>adaptive_max_pool2d</c>:
/// <c>[N, C, H, W]</c> to <c>[N, C, OutH, OutW]</c> for any positive output size (larger than the
/// input too); output row <c>oh</c> pools rows <c>[floor(oh H / OutH), ceil((oh + 1) H / OutH))</c>,
/// columns likewise.
/// </summary>
public sealed record AdaptivePool2dSpec
{
    private AdaptivePool2dSpec(AdaptivePoolGeometry geometry, int n, int channels)
    {
        Geometry = geometry;
        N = n;
        Channels = channels;
    }

    /// <summary>The geometry the kernels take.</summary>
    public AdaptivePoolGeometry Geometry { get; }

    /// <summary>Batch size.</summary>
    public int N { get; }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>The output size (OutH, OutW).</summary>
    public Pair OutputSize => new(Geometry.OutH.Divisor, Geometry.OutW.Divisor);

    /// <summary>Input shape.</summary>
    public Shape InputShape => new(N, Channels, Geometry.H.Divisor, Geometry.W.Divisor);

    /// <summary>Output shape <c>[N, C, OutH, OutW]</c>.</summary>
    public Shape OutputShape => new(N, Channels, Geometry.OutH.Divisor, Geometry.OutW.Divisor);

    /// <summary>
    /// Whether every window has the same size and the windows tile the input: each output size
    /// divides its input size (then windows are <c>H / OutH</c> by <c>W / OutW</c>, stride the same).
    /// </summary>
    public bool UniformWindows => Geometry.H.Divisor % Geometry.OutH.Divisor == 0 && Geometry.W.Divisor % Geometry.OutW.Divisor == 0;

    /// <summary>Checks the input shape and output size.</summary>
    /// <exception cref="ArgumentException">Any inconsistency; the message names the values.</exception>
    public static AdaptivePool2dSpec Create(string op, Shape input, Pair outputSize)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {input}.", nameof(input));
        if (input[2] <= 0 || input[3] <= 0)
            throw new ArgumentException($"{op}: the input's height and width must be positive, got {input}.", nameof(input));
        if (outputSize.H <= 0 || outputSize.W <= 0)
            throw new ArgumentException($"{op}: output_size must be positive, got {outputSize}.", nameof(outputSize));
        if ((long)(input[2] + 1) * (outputSize.H + 1) > int.MaxValue || (long)(input[3] + 1) * (outputSize.W + 1) > int.MaxValue)
            throw new ArgumentException($"{op}: input size ({input[2]}, {input[3]}) times output size {outputSize} exceeds the int range the window bounds are computed in.", nameof(outputSize));
        var geometry = new AdaptivePoolGeometry(input[0] * input[1], input[2], input[3], outputSize.H, outputSize.W);
        return new AdaptivePool2dSpec(geometry, input[0], input[1]);
    }
}

/// <summary>
/// Adaptive average pooling and adaptive max pooling with int32 argmax indices (flat <c>h * W + w</c>
/// within each plane), with gather backwards. On the CPU accelerator the host path
/// (<see cref="AdaptivePoolHost"/>) gives the kernels' bits.
/// </summary>
public static class AdaptivePool2dOp
{
    /// <summary>Writes the window averages (<c>sum / kh / kw</c>) into y (<c>spec.OutputShape</c>).</summary>
    public static void AvgForward(AdaptivePool2dSpec spec, Tensor x, Tensor y)
    {
        const string op = "AdaptiveAvgPool2d";
        Check.SameDevice(op, x.Device, x, y);
        Check.SameShape(op, "input", x.Shape, "the spec's input", spec.InputShape);
        Check.SameShape(op, "output", y.Shape, "the spec's output", spec.OutputShape);
        if (x.Device.Paths.Host)
        {
            x.Device.Synchronize();
            AdaptivePoolHost.AvgForward(x.View, y.View, spec.Geometry);
            return;
        }
        x.Device.Kernel(AdaptivePoolLoaders.AvgForward)(Check.LaunchSize(op, y.Numel), x.View, y.View, spec.Geometry);
    }

    /// <summary><c>dx (+)= </c> each output gradient divided by its window's height and width, over the window.</summary>
    public static void AvgBackward(AdaptivePool2dSpec spec, Tensor dy, Tensor dx, bool accumulate = false)
    {
        const string op = "AdaptiveAvgPool2d backward";
        Check.SameDevice(op, dy.Device, dy, dx);
        Check.SameShape(op, "output gradient", dy.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "input gradient", dx.Shape, "the spec's input", spec.InputShape);
        if (dy.Device.Paths.Host)
        {
            dy.Device.Synchronize();
            AdaptivePoolHost.AvgBackward(dy.View, dx.View, spec.Geometry, accumulate);
            return;
        }
        dy.Device.Kernel(AdaptivePoolLoaders.AvgBackward)(Check.LaunchSize(op, dx.Numel), dy.View, dx.View, spec.Geometry, Launch.Flag(accumulate));
    }

    /// <summary>Writes the window maxima into y and their positions into indices (both <c>spec.OutputShape</c>).</summary>
    public static void MaxForward(AdaptivePool2dSpec spec, Tensor x, Tensor y, IntTensor indices)
    {
        const string op = "AdaptiveMaxPool2d";
        Check.SameDevice(op, x.Device, x, y, indices);
        Check.SameShape(op, "input", x.Shape, "the spec's input", spec.InputShape);
        Check.SameShape(op, "output", y.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "indices", indices.Shape, "the spec's output", spec.OutputShape);
        if (x.Device.Paths.Host)
        {
            x.Device.Synchronize();
            AdaptivePoolHost.MaxForward(x.View, y.View, indices.View, spec.Geometry);
            return;
        }
        x.Device.Kernel(AdaptivePoolLoaders.MaxForward)(Check.LaunchSize(op, y.Numel), x.View, y.View, indices.View, spec.Geometry);
    }

    /// <summary><c>dx (+)= </c> the output gradients routed to their argmax positions.</summary>
    public static void MaxBackward(AdaptivePool2dSpec spec, Tensor dy, IntTensor indices, Tensor dx, bool accumulate = false)
    {
        const string op = "AdaptiveMaxPool2d backward";
        Check.SameDevice(op, dy.Device, dy, indices, dx);
        Check.SameShape(op, "output gradient", dy.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "indices", indices.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "input gradient", dx.Shape, "the spec's input", spec.InputShape);
        if (dy.Device.Paths.Host)
        {
            dy.Device.Synchronize();
            AdaptivePoolHost.MaxBackward(dy.View, indices.View, dx.View, spec.Geometry, accumulate);
            return;
        }
        dy.Device.Kernel(AdaptivePoolLoaders.MaxBackward)(Check.LaunchSize(op, dx.Numel), dy.View, indices.View, dx.View, spec.Geometry, Launch.Flag(accumulate));
    }
}
