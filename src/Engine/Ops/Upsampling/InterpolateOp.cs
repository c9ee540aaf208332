using Engine.Devices;
using Engine.Kernels.Upsampling;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Upsampling;

/// <summary>Bilinear and nearest resampling, forward and gather backward (on the CPU accelerator's host path, bilinear by <see cref="BilinearHost"/>).</summary>
public static class InterpolateOp
{
    /// <summary>Resamples x into y (<c>spec.OutputShape</c>).</summary>
    public static void Forward(InterpolateSpec spec, Tensor x, Tensor y)
    {
        const string op = "Interpolate";
        Check.SameDevice(op, x.Device, x, y);
        Check.SameShape(op, "input", x.Shape, "the spec's input", spec.InputShape);
        Check.SameShape(op, "output", y.Shape, "the spec's output", spec.OutputShape);
        if (spec.Mode == InterpolationMode.Bilinear && x.Device.Paths.Host)
        {
            x.Device.Synchronize();
            BilinearHost.Forward(x.View, y.View, spec.Geometry);
            return;
        }
        var loader = spec.Mode == InterpolationMode.Bilinear ? UpsampleLoaders.BilinearForward : UpsampleLoaders.NearestForward;
        x.Device.Kernel(loader)(Check.LaunchSize(op, y.Numel), x.View, y.View, spec.Geometry);
    }

    /// <summary><c>dx (+)= </c> the output gradients gathered back with the forward weights.</summary>
    public static void Backward(InterpolateSpec spec, Tensor dy, Tensor dx, bool accumulate = false)
    {
        const string op = "Interpolate backward";
        Check.SameDevice(op, dy.Device, dy, dx);
        Check.SameShape(op, "output gradient", dy.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "input gradient", dx.Shape, "the spec's input", spec.InputShape);
        if (spec.Mode == InterpolationMode.Bilinear && dy.Device.Paths.Host)
        {
            dy.Device.Synchronize();
            BilinearHost.Backward(dy.View, dx.View, spec.Geometry, accumulate);
            return;
        }
        var loader = spec.Mode == InterpolationMode.Bilinear ? UpsampleLoaders.BilinearBackward : UpsampleLoaders.NearestBackward;
        dy.Device.Kernel(loader)(Check.LaunchSize(op, dx.Numel), dy.View, dx.View, spec.Geometry, Launch.Flag(accumulate));
    }
}
