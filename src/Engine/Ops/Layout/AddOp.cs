using Engine.Devices;
using Engine.Kernels.Activation;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Layout;

/// <summary>
/// Residual addition <c>y = a + b</c> (same shapes; y may be a or b), and the gradient routing
/// shared by add, reshape and scaling: <c>dx (+)= scale * dy</c>.
/// </summary>
public static class AddOp
{
    /// <summary><c>y = a + b</c>.</summary>
    public static void Forward(Tensor a, Tensor b, Tensor y)
    {
        Check.SameDevice("Add", a.Device, a, b, y);
        Check.SameShape("Add", "a", a.Shape, "b", b.Shape);
        Check.SameShape("Add", "output", y.Shape, "a", a.Shape);
        if (a.Device.Paths.Host)
        {
            a.Device.Synchronize();
            ElementwiseHost.Add(a.View, b.View, y.View, a.Numel);
            return;
        }
        a.Device.Kernel(ActivationLoaders.Add)(Check.LaunchSize("Add", a.Numel), a.View, b.View, y.View);
    }

    /// <summary><c>dx (+)= scale * dy</c> for tensors with the same element count (shapes may differ: reshapes).</summary>
    public static void Route(Tensor dy, Tensor dx, float scale = 1f, bool accumulate = false)
    {
        Check.SameDevice("Gradient", dy.Device, dy, dx);
        if (dy.Numel != dx.Numel)
            throw new ArgumentException($"Gradient: {dy.Shape} and {dx.Shape} hold different element counts.");
        if (dy.Device.Paths.Host)
        {
            dy.Device.Synchronize();
            ElementwiseHost.ScaledAccumulate(dy.View, dx.View, dy.Numel, scale, accumulate);
            return;
        }
        dy.Device.Kernel(ActivationLoaders.ScaledAccumulate)(Check.LaunchSize("Gradient", dy.Numel), dy.View, dx.View, scale, Launch.Flag(accumulate));
    }
}
