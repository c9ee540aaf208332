using Engine.Devices;
using Engine.Kernels.Layout;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Layout;

/// <summary>
/// A window of the last two dims: <c>y[..., i, j] = x[..., top + i, left + j]</c>. It serves U-Net's
/// centre crop of skip connections (torchvision's placement, <see cref="Centre"/>) and Caffe's
/// <c>Crop</c> layer with explicit offsets (FCN's skip fusion).
/// </summary>
public static class CropOp
{
    /// <summary>The output shape, or an error naming the values when the window does not lie inside the input.</summary>
    public static Shape Plan(Shape input, int outH, int outW, int top, int left)
    {
        if (input.Rank < 2)
            throw new ArgumentException($"Crop: input must have at least two dims, got {input}.", nameof(input));
        int h = input[-2], w = input[-1];
        if (outH <= 0 || outW <= 0 || outH > h || outW > w)
            throw new ArgumentException($"Crop: size ({outH}, {outW}) must be positive and fit inside input {input}.");
        if (top < 0 || left < 0 || (long)top + outH > h || (long)left + outW > w)
            throw new ArgumentException($"Crop: a ({outH}, {outW}) window at offset ({top}, {left}) does not lie inside input {input}.");
        var dims = input.ToArray();
        dims[^2] = outH;
        dims[^1] = outW;
        return new Shape(dims);
    }

    /// <summary>
    /// torchvision's centre placement, <c>top = round((H - outH) / 2)</c>, rounding half to even as
    /// Python does, with the output shape.
    /// </summary>
    public static (Shape Shape, int Top, int Left) Centre(Shape input, int outH, int outW)
    {
        if (input.Rank < 2)
            throw new ArgumentException($"CenterCrop: input must have at least two dims, got {input}.", nameof(input));
        int h = input[-2], w = input[-1];
        if (outH <= 0 || outW <= 0 || outH > h || outW > w)
            throw new ArgumentException($"CenterCrop: size ({outH}, {outW}) must be positive and fit inside input {input}.");
        int top = (int)Math.Round((h - outH) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((w - outW) / 2.0, MidpointRounding.ToEven);
        return (Plan(input, outH, outW, top, left), top, left);
    }

    /// <summary>Copies the window of x at (<paramref name="top"/>, <paramref name="left"/>) into y.</summary>
    public static void Forward(Tensor x, Tensor y, int top, int left)
    {
        var shape = Plan(x.Shape, y.Shape[-2], y.Shape[-1], top, left);
        Check.SameDevice("Crop", x.Device, x, y);
        Check.SameShape("Crop", "output", y.Shape, "the crop", shape);
        if (x.Device.Paths.Host)
        {
            x.Device.Synchronize();
            LayoutHost.Crop(x.View, y.View, x.Numel / ((long)x.Shape[-2] * x.Shape[-1]), x.Shape[-2], x.Shape[-1], shape[-2], shape[-1], top, left);
            return;
        }
        int planes = Check.LaunchSize("Crop", x.Numel / ((long)x.Shape[-2] * x.Shape[-1]));
        x.Device.Kernel(LayoutLoaders.Crop)(Check.LaunchSize("Crop", y.Numel), x.View, y.View, x.Shape[-2], x.Shape[-1], shape[-2], shape[-1], top, left, planes, planes, 0);
    }

    /// <summary>
    /// Copies the window of x <c>[N, C, H, W]</c> into channels <c>[offset, offset + C)</c> of
    /// <paramref name="concatenation"/> <c>[N, C', outH, outW]</c>: a crop whose only reader is a
    /// concatenation, written in place (kernels only; the graph fuses the pair).
    /// </summary>
    internal static void ForwardInto(Tensor x, Tensor concatenation, int top, int left, int offset)
    {
        var shape = Plan(x.Shape, concatenation.Shape[-2], concatenation.Shape[-1], top, left);
        int n = x.Shape[0], channels = x.Shape[1], bigC = concatenation.Shape[1];
        if (x.Shape.Rank != 4 || concatenation.Shape.Rank != 4 || concatenation.Shape[0] != n || offset < 0 || offset + channels > bigC)
            throw new ArgumentException($"Crop into a concatenation: channels [{offset}, {offset + channels}) of {x.Shape} do not fit {concatenation.Shape}.");
        x.Device.Kernel(LayoutLoaders.Crop)(Check.LaunchSize("Crop", shape.Numel), x.View, concatenation.View, x.Shape[-2], x.Shape[-1], shape[-2], shape[-1], top, left,
            channels, bigC, offset);
    }

    /// <summary>
    /// <c>dx (+)= </c> channels <c>[offset, offset + C)</c> of a concatenation's gradient inside the
    /// window, 0 outside: <see cref="ForwardInto"/>'s backward.
    /// </summary>
    internal static void BackwardFrom(Tensor concatenationGrad, Tensor dx, int top, int left, int offset, bool accumulate)
    {
        Plan(dx.Shape, concatenationGrad.Shape[-2], concatenationGrad.Shape[-1], top, left);
        int channels = dx.Shape[1], bigC = concatenationGrad.Shape[1];
        if (dx.Shape.Rank != 4 || concatenationGrad.Shape.Rank != 4 || concatenationGrad.Shape[0] != dx.Shape[0] || offset < 0 || offset + channels > bigC)
            throw new ArgumentException($"Crop backward from a concatenation: channels [{offset}, {offset + channels}) of {dx.Shape} do not fit {concatenationGrad.Shape}.");
        dx.Device.Kernel(LayoutLoaders.CropBackward)(Check.LaunchSize("Crop", dx.Numel), concatenationGrad.View, dx.View, dx.Shape[-2], dx.Shape[-1],
            concatenationGrad.Shape[-2], concatenationGrad.Shape[-1], top, left, channels, bigC, offset, Launch.Flag(accumulate));
    }

    /// <summary><c>dx (+)= </c> dy inside the window, 0 outside.</summary>
    public static void Backward(Tensor dy, Tensor dx, int top, int left, bool accumulate = false)
    {
        var shape = Plan(dx.Shape, dy.Shape[-2], dy.Shape[-1], top, left);
        Check.SameDevice("Crop backward", dy.Device, dy, dx);
        Check.SameShape("Crop backward", "output gradient", dy.Shape, "the crop", shape);
        if (dy.Device.Paths.Host)
        {
            dy.Device.Synchronize();
            LayoutHost.CropBackward(dy.View, dx.View, dx.Numel / ((long)dx.Shape[-2] * dx.Shape[-1]), dx.Shape[-2], dx.Shape[-1], shape[-2], shape[-1], top, left, accumulate);
            return;
        }
        int planes = Check.LaunchSize("Crop", dx.Numel / ((long)dx.Shape[-2] * dx.Shape[-1]));
        dy.Device.Kernel(LayoutLoaders.CropBackward)(Check.LaunchSize("Crop", dx.Numel), dy.View, dx.View, dx.Shape[-2], dx.Shape[-1],
            shape[-2], shape[-1], top, left, planes, planes, 0, Launch.Flag(accumulate));
    }
}
