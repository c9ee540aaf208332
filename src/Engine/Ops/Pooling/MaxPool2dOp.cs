using Engine.Devices;
using Engine.Kernels.Pooling;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Pooling;

/// <summary>Max pooling with int32 argmax indices (flat within each plane), and its gather backward.</summary>
public static class MaxPool2dOp
{
    /// <summary>Writes the window maxima into y and their positions into indices (both <c>spec.OutputShape</c>).</summary>
    public static void Forward(Pool2dSpec spec, Tensor x, Tensor y, IntTensor indices)
    {
        const string op = "MaxPool2d";
        Check.SameDevice(op, x.Device, x, y, indices);
        Check.SameShape(op, "input", x.Shape, "the spec's input", spec.InputShape);
        Check.SameShape(op, "output", y.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "indices", indices.Shape, "the spec's output", spec.OutputShape);
        if (x.Device.Paths.Host)
        {
            x.Device.Synchronize();
            MaxPoolHost.Forward(x.View, y.View, indices.View, spec.Geometry);
            return;
        }
        x.Device.Kernel(MaxPoolLoaders.Forward)(Check.LaunchSize(op, y.Numel), x.View, y.View, indices.View, spec.Geometry);
    }

    /// <summary><c>dx (+)= </c> the output gradients routed to their argmax positions.</summary>
    public static void Backward(Pool2dSpec spec, Tensor dy, IntTensor indices, Tensor dx, bool accumulate = false)
    {
        const string op = "MaxPool2d backward";
        Check.SameDevice(op, dy.Device, dy, indices, dx);
        Check.SameShape(op, "output gradient", dy.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "indices", indices.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "input gradient", dx.Shape, "the spec's input", spec.InputShape);
        if (dy.Device.Paths.Host)
        {
            dy.Device.Synchronize();
            MaxPoolHost.Backward(dy.View, indices.View, dx.View, spec.Geometry, accumulate);
            return;
        }
        dy.Device.Kernel(MaxPoolLoaders.Backward)(Check.LaunchSize(op, dx.Numel), dy.View, indices.View, dx.View, spec.Geometry, Launch.Flag(accumulate));
    }
}
