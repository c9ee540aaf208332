using Engine.Kernels.Pooling;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Pooling;

/// <summary>Average pooling (PyTorch's divisor rule), global average pooling, and their gather backwards.</summary>
public static class AvgPool2dOp
{
    /// <summary>Writes the window averages into y (<c>spec.OutputShape</c>).</summary>
    public static void Forward(Pool2dSpec spec, Tensor x, Tensor y)
    {
        const string op = "AvgPool2d";
        Check.SameDevice(op, x.Device, x, y);
        Check.SameShape(op, "input", x.Shape, "the spec's input", spec.InputShape);
        Check.SameShape(op, "output", y.Shape, "the spec's output", spec.OutputShape);
        x.Device.Kernel(AvgPoolLoaders.Forward)(Check.LaunchSize(op, y.Numel), x.View, y.View, spec.Geometry);
    }

    /// <summary><c>dx (+)= </c> each output gradient spread evenly over its window.</summary>
    public static void Backward(Pool2dSpec spec, Tensor dy, Tensor dx, bool accumulate = false)
    {
        const string op = "AvgPool2d backward";
        Check.SameDevice(op, dy.Device, dy, dx);
        Check.SameShape(op, "output gradient", dy.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "input gradient", dx.Shape, "the spec's input", spec.InputShape);
        dy.Device.Kernel(AvgPoolLoaders.Backward)(Check.LaunchSize(op, dx.Numel), dy.View, dx.View, spec.Geometry, Launch.Flag(accumulate));
    }

    /// <summary>Global average pooling: x <c>[N, C, H, W]</c> to y with N * C elements (<c>[N, C]</c> or <c>[N, C, 1, 1]</c>).</summary>
    public static void GlobalForward(Tensor x, Tensor y)
    {
        const string op = "GlobalAvgPool2d";
        Check.SameDevice(op, x.Device, x, y);
        CheckGlobal(op, x, y);
        x.Device.Kernel(AvgPoolLoaders.GlobalForward)(Check.LaunchSize(op, y.Numel), x.View, y.View, x.Shape[2] * x.Shape[3]);
    }

    /// <summary><c>dx (+)= dy / (H W)</c> broadcast over each plane.</summary>
    public static void GlobalBackward(Tensor dy, Tensor dx, bool accumulate = false)
    {
        const string op = "GlobalAvgPool2d backward";
        Check.SameDevice(op, dy.Device, dy, dx);
        CheckGlobal(op, dx, dy);
        dy.Device.Kernel(AvgPoolLoaders.GlobalBackward)(Check.LaunchSize(op, dx.Numel), dy.View, dx.View, dx.Shape[2] * dx.Shape[3], Launch.Flag(accumulate));
    }

    private static void CheckGlobal(string op, Tensor x, Tensor y)
    {
        if (x.Shape.Rank != 4)
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {x.Shape}.");
        if (y.Numel != (long)x.Shape[0] * x.Shape[1] || y.Shape[0] != x.Shape[0])
            throw new ArgumentException($"{op}: output must be [{x.Shape[0]}, {x.Shape[1]}] or [{x.Shape[0]}, {x.Shape[1]}, 1, 1] for input {x.Shape}, got {y.Shape}.");
    }
}
