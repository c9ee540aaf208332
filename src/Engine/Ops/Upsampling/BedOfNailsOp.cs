using Engine.Kernels.Convolution;
using Engine.Kernels.Upsampling;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Upsampling;

/// <summary>
/// "Bed of nails" unpooling by an integer factor s on <c>[N, C, H, W]</c>: each value at the top-left
/// corner of its <c>s x s</c> block of the <c>[N, C, sH, sW]</c> output, zeros elsewhere (max-unpooling
/// with every index at the corner); the backward pass reads those corners back.
/// </summary>
public static class BedOfNailsOp
{
    // Zero-dilation by the factor with no padding: the transposed convolution's kernel, whose output is the bed of nails.
    /// <summary>The output shape for an input of <paramref name="input"/>; the factor must be at least 1 and the input <c>[N, C, H, W]</c>.</summary>
    public static Shape OutputShape(Shape input, int factor)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"BedOfNails: input must be [N, C, H, W], got {input}.", nameof(input));
        if (factor < 1)
            throw new ArgumentException($"BedOfNails: the factor must be at least 1, got {factor}.", nameof(factor));
        if ((long)input[2] * factor > int.MaxValue || (long)input[3] * factor > int.MaxValue)
            throw new ArgumentException($"BedOfNails: factor {factor} makes {input} too large.", nameof(factor));
        return new Shape(input[0], input[1], input[2] * factor, input[3] * factor);
    }

    /// <summary>Writes the unpooled x into y (<see cref="OutputShape"/>).</summary>
    public static void Forward(Tensor x, Tensor y, int factor)
    {
        const string op = "BedOfNails";
        Check.SameDevice(op, x.Device, x, y);
        Check.SameShape(op, "output", y.Shape, "the output for the input", OutputShape(x.Shape, factor));
        int h = x.Shape[2], w = x.Shape[3];
        x.Device.Kernel(ConvTransposeLoaders.BedOfNailsForward)(Check.LaunchSize(op, y.Numel), x.View, y.View, h, w, h * factor, w * factor, factor, factor, 0, 0);
    }

    /// <summary><c>dx (+)= dy</c> at the block corners.</summary>
    public static void Backward(Tensor dy, Tensor dx, int factor, bool accumulate = false)
    {
        const string op = "BedOfNails backward";
        Check.SameDevice(op, dy.Device, dy, dx);
        Check.SameShape(op, "output gradient", dy.Shape, "the output for the input", OutputShape(dx.Shape, factor));
        dy.Device.Kernel(BedOfNailsLoaders.Backward)(Check.LaunchSize(op, dx.Numel), dy.View, dx.View, dx.Shape[2], dx.Shape[3], factor, Launch.Flag(accumulate));
    }
}
