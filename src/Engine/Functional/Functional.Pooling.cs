using Engine.Ops.Convolution;
using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;
using Engine.Tensors;

namespace Engine;

public static partial class Functional
{
    /// <summary>
    /// <c>max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)</c>:
    /// the output and int32 argmax indices (flat <c>h * W + w</c> within each (n, c) plane).
    /// </summary>
    public static (Tensor Output, IntTensor Indices) MaxPool2d(Tensor input, Pair kernelSize, Pair? stride = null, Pair? padding = null,
        Pair? dilation = null, bool ceilMode = false)
    {
        var spec = Pool2dSpec.Create("MaxPool2d", input.Shape, kernelSize, stride, padding ?? 0, dilation ?? 1, ceilMode);
        var y = Tensor.Empty(input.Device, spec.OutputShape);
        IntTensor? indices = null;
        try
        {
            indices = IntTensor.Empty(input.Device, spec.OutputShape);
            MaxPool2dOp.Forward(spec, input, y, indices);
            return (y, indices);
        }
        catch
        {
            y.Dispose();
            indices?.Dispose();
            throw;
        }
    }

    /// <summary>Input gradient of <see cref="MaxPool2d"/>: each output gradient goes to its argmax.</summary>
    public static Tensor MaxPool2dBackward(Tensor gradOutput, IntTensor indices, Shape inputShape, Pair kernelSize, Pair? stride = null,
        Pair? padding = null, Pair? dilation = null, bool ceilMode = false)
    {
        var spec = Pool2dSpec.Create("MaxPool2d", inputShape, kernelSize, stride, padding ?? 0, dilation ?? 1, ceilMode);
        var dx = Tensor.Empty(gradOutput.Device, inputShape);
        return Guard(dx, () => MaxPool2dOp.Backward(spec, gradOutput, indices, dx));
    }

    /// <summary><c>avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)</c>.</summary>
    public static Tensor AvgPool2d(Tensor input, Pair kernelSize, Pair? stride = null, Pair? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        var spec = Pool2dSpec.Create("AvgPool2d", input.Shape, kernelSize, stride, padding ?? 0, 1, ceilMode, countIncludePad);
        var y = Tensor.Empty(input.Device, spec.OutputShape);
        return Guard(y, () => AvgPool2dOp.Forward(spec, input, y));
    }

    /// <summary>Input gradient of <see cref="AvgPool2d"/>.</summary>
    public static Tensor AvgPool2dBackward(Tensor gradOutput, Shape inputShape, Pair kernelSize, Pair? stride = null, Pair? padding = null,
        bool ceilMode = false, bool countIncludePad = true)
    {
        var spec = Pool2dSpec.Create("AvgPool2d", inputShape, kernelSize, stride, padding ?? 0, 1, ceilMode, countIncludePad);
        var dx = Tensor.Empty(gradOutput.Device, inputShape);
        return Guard(dx, () => AvgPool2dOp.Backward(spec, gradOutput, dx));
    }

    /// <summary>Global average pooling, <c>adaptive_avg_pool2d(input, 1)</c> flattened: <c>[N, C, H, W]</c> to <c>[N, C]</c>.</summary>
    public static Tensor GlobalAvgPool2d(Tensor input)
    {
        if (input.Shape.Rank != 4)
            throw new ArgumentException($"GlobalAvgPool2d: input must be [N, C, H, W], got {input.Shape}.", nameof(input));
        var y = Tensor.Empty(input.Device, input.Shape[0], input.Shape[1]);
        return Guard(y, () => AvgPool2dOp.GlobalForward(input, y));
    }

    /// <summary>Input gradient of <see cref="GlobalAvgPool2d"/>.</summary>
    public static Tensor GlobalAvgPool2dBackward(Tensor gradOutput, Shape inputShape)
    {
        var dx = Tensor.Empty(gradOutput.Device, inputShape);
        return Guard(dx, () => AvgPool2dOp.GlobalBackward(gradOutput, dx));
    }

    /// <summary>
    /// <c>adaptive_avg_pool2d(input, output_size)</c>: <c>[N, C, H, W]</c> to <c>[N, C, OutH, OutW]</c> for
    /// any positive size; output (oh, ow) averages rows <c>[floor(oh H / OutH), ceil((oh + 1) H / OutH))</c>
    /// and the columns alike (<c>sum / kh / kw</c>). Windows overlap where the size does not divide the input.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Pair outputSize)
    {
        var spec = AdaptivePool2dSpec.Create("AdaptiveAvgPool2d", input.Shape, outputSize);
        var y = Tensor.Empty(input.Device, spec.OutputShape);
        return Guard(y, () => AdaptivePool2dOp.AvgForward(spec, input, y));
    }

    /// <summary>Input gradient of <see cref="AdaptiveAvgPool2d"/>: each output gradient spread evenly over its window, summed where windows overlap.</summary>
    public static Tensor AdaptiveAvgPool2dBackward(Tensor gradOutput, Shape inputShape)
    {
        if (gradOutput.Shape.Rank != 4)
            throw new ArgumentException($"AdaptiveAvgPool2d backward: the output gradient must be [N, C, OutH, OutW], got {gradOutput.Shape}.", nameof(gradOutput));
        var spec = AdaptivePool2dSpec.Create("AdaptiveAvgPool2d", inputShape, (gradOutput.Shape[2], gradOutput.Shape[3]));
        var dx = Tensor.Empty(gradOutput.Device, inputShape);
        return Guard(dx, () => AdaptivePool2dOp.AvgBackward(spec, gradOutput, dx));
    }

    /// <summary>
    /// <c>adaptive_max_pool2d(input, output_size, return_indices=True)</c>: the windows of
    /// <see cref="AdaptiveAvgPool2d"/>, their maxima and int32 argmax indices (flat <c>h * W + w</c> within
    /// each (n, c) plane). Ties go to the first maximum in row-major order; NaN wins, as in <see cref="MaxPool2d"/>.
    /// </summary>
    public static (Tensor Output, IntTensor Indices) AdaptiveMaxPool2d(Tensor input, Pair outputSize)
    {
        var spec = AdaptivePool2dSpec.Create("AdaptiveMaxPool2d", input.Shape, outputSize);
        var y = Tensor.Empty(input.Device, spec.OutputShape);
        IntTensor? indices = null;
        try
        {
            indices = IntTensor.Empty(input.Device, spec.OutputShape);
            AdaptivePool2dOp.MaxForward(spec, input, y, indices);
            return (y, indices);
        }
        catch
        {
            y.Dispose();
            indices?.Dispose();
            throw;
        }
    }

    /// <summary>Input gradient of <see cref="AdaptiveMaxPool2d"/>: each output gradient goes to its argmax.</summary>
    public static Tensor AdaptiveMaxPool2dBackward(Tensor gradOutput, IntTensor indices, Shape inputShape)
    {
        if (gradOutput.Shape.Rank != 4)
            throw new ArgumentException($"AdaptiveMaxPool2d backward: the output gradient must be [N, C, OutH, OutW], got {gradOutput.Shape}.", nameof(gradOutput));
        var spec = AdaptivePool2dSpec.Create("AdaptiveMaxPool2d", inputShape, (gradOutput.Shape[2], gradOutput.Shape[3]));
        var dx = Tensor.Empty(gradOutput.Device, inputShape);
        return Guard(dx, () => AdaptivePool2dOp.MaxBackward(spec, gradOutput, indices, dx));
    }

    /// <summary>
    /// <c>max_unpool2d(input, indices, kernel_size, stride, padding, output_size)</c>: places each
    /// value at the position its pooling index names, zero elsewhere.
    /// </summary>
    public static Tensor MaxUnpool2d(Tensor input, IntTensor indices, Pair kernelSize, Pair? stride = null, Pair? padding = null, Pair? outputSize = null)
    {
        var spec = MaxUnpool2dSpec.Create(input.Shape, indices.Shape, kernelSize, stride, padding ?? 0, outputSize);
        var y = Tensor.Empty(input.Device, spec.OutputShape);
        return Guard(y, () => MaxUnpool2dOp.Forward(spec, input, indices, y));
    }

    /// <summary>Input gradient of <see cref="MaxUnpool2d"/>: <c>dx = dy.flat[indices]</c>.</summary>
    public static Tensor MaxUnpool2dBackward(Tensor gradOutput, IntTensor indices, Pair kernelSize, Pair? stride = null, Pair? padding = null, Pair? outputSize = null)
    {
        var spec = MaxUnpool2dSpec.Create(indices.Shape, indices.Shape, kernelSize, stride, padding ?? 0, outputSize);
        var dx = Tensor.Empty(gradOutput.Device, spec.InputShape);
        return Guard(dx, () => MaxUnpool2dOp.Backward(spec, gradOutput, indices, dx));
    }

    /// <summary>
    /// <c>interpolate(input, size, scale_factor, mode, align_corners)</c> on <c>[N, C, H, W]</c>:
    /// give exactly one of <paramref name="size"/> and <paramref name="scaleFactor"/>, each one value
    /// for both axes or one per axis (<c>size: (4, 6)</c>, <c>scaleFactor: (2, 1.5)</c>), as PyTorch.
    /// </summary>
    public static Tensor Interpolate(Tensor input, Pair? size = null, ScaleFactor? scaleFactor = null, InterpolationMode mode = InterpolationMode.Nearest,
        bool alignCorners = false)
    {
        var spec = InterpolateSpec.Create(input.Shape, size, scaleFactor is { } f ? (f.H, f.W) : null, mode, alignCorners);
        var y = Tensor.Empty(input.Device, spec.OutputShape);
        return Guard(y, () => InterpolateOp.Forward(spec, input, y));
    }

    /// <summary>Bed-of-nails unpooling by <paramref name="factor"/>: each value at the top-left of its block, zeros elsewhere.</summary>
    public static Tensor BedOfNails(Tensor input, int factor = 2)
    {
        var y = Tensor.Empty(input.Device, BedOfNailsOp.OutputShape(input.Shape, factor));
        return Guard(y, () => BedOfNailsOp.Forward(input, y, factor));
    }

    /// <summary>Input gradient of <see cref="BedOfNails"/>.</summary>
    public static Tensor BedOfNailsBackward(Tensor gradOutput, Shape inputShape, int factor = 2)
    {
        var dx = Tensor.Empty(gradOutput.Device, inputShape);
        return Guard(dx, () => BedOfNailsOp.Backward(gradOutput, dx, factor));
    }

    /// <summary>Input gradient of <see cref="Interpolate"/>.</summary>
    public static Tensor InterpolateBackward(Tensor gradOutput, Shape inputShape, Pair? size = null, ScaleFactor? scaleFactor = null,
        InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        var spec = InterpolateSpec.Create(inputShape, size, scaleFactor is { } f ? (f.H, f.W) : null, mode, alignCorners);
        var dx = Tensor.Empty(gradOutput.Device, inputShape);
        return Guard(dx, () => InterpolateOp.Backward(spec, gradOutput, dx));
    }
}
