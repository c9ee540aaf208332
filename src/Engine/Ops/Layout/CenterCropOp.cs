using Engine.Devices;
using Engine.Kernels.Layout;
using Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Ops.Layout;

/// <summary>
/// Centre crop of the last two dims (U-Net's skip connections with valid convolutions), with
/// torchvision's placement: <c>top = round((H - outH) / 2)</c>, rounding half to even as Python does.
/// </summary>
public static class CenterCropOp
{
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int>> CropLoader =
        new("Crop", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<float>, int, int, int, int, int, int>(acc, LayoutKernels.Crop));
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, int>> CropBackwardLoader =
        new("CropBackward", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, int>(acc, LayoutKernels.CropBackward));

    /// <summary>The output shape and window origin, or an error when the crop is larger than the input.</summary>
    public static (Shape Shape, int Top, int Left) Plan(Shape input, int outH, int outW)
    {
        if (input.Rank < 2)
            throw new ArgumentException($"CenterCrop: input must have at least two dims, got {input}.", nameof(input));
        int h = input[-2], w = input[-1];
        if (outH <= 0 || outW <= 0 || outH > h || outW > w)
            throw new ArgumentException($"CenterCrop: size ({outH}, {outW}) must be positive and fit inside input {input}.");
        var dims = input.ToArray();
        dims[^2] = outH;
        dims[^1] = outW;
        int top = (int)Math.Round((h - outH) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((w - outW) / 2.0, MidpointRounding.ToEven);
        return (new Shape(dims), top, left);
    }

    /// <summary>Copies the centre window of x into y.</summary>
    public static void Forward(Tensor x, Tensor y)
    {
        var (shape, top, left) = Plan(x.Shape, y.Shape[-2], y.Shape[-1]);
        Check.SameDevice("CenterCrop", x.Device, x, y);
        Check.SameShape("CenterCrop", "output", y.Shape, "the crop", shape);
        if (HostPath.Applies(x.Device))
        {
            x.Device.Synchronize();
            LayoutHost.Crop(x.View, y.View, x.Numel / ((long)x.Shape[-2] * x.Shape[-1]), x.Shape[-2], x.Shape[-1], shape[-2], shape[-1], top, left);
            return;
        }
        x.Device.Kernel(CropLoader)(Check.LaunchSize("CenterCrop", y.Numel), x.View, y.View, x.Shape[-2], x.Shape[-1], shape[-2], shape[-1], top, left);
    }

    /// <summary><c>dx (+)= </c> dy inside the window, 0 outside.</summary>
    public static void Backward(Tensor dy, Tensor dx, bool accumulate = false)
    {
        var (shape, top, left) = Plan(dx.Shape, dy.Shape[-2], dy.Shape[-1]);
        Check.SameDevice("CenterCrop backward", dy.Device, dy, dx);
        Check.SameShape("CenterCrop backward", "output gradient", dy.Shape, "the crop", shape);
        if (HostPath.Applies(dy.Device))
        {
            dy.Device.Synchronize();
            LayoutHost.CropBackward(dy.View, dx.View, dx.Numel / ((long)dx.Shape[-2] * dx.Shape[-1]), dx.Shape[-2], dx.Shape[-1], shape[-2], shape[-1], top, left, accumulate);
            return;
        }
        dy.Device.Kernel(CropBackwardLoader)(Check.LaunchSize("CenterCrop", dx.Numel), dy.View, dx.View, dx.Shape[-2], dx.Shape[-1],
            shape[-2], shape[-1], top, left, Launch.Flag(accumulate));
    }
}
