using Engine.Kernels.Latent;
using Engine.Ops.Random;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Latent;

/// <summary>
/// The reparameterisation trick: <c>z = mu + exp(logvar / 2) * eps</c> with <c>eps ~ N(0, I)</c>
/// drawn on the device; eps is kept for the backward pass.
/// </summary>
public static class ReparameterizeOp
{
    /// <summary>Draws eps from <paramref name="generator"/> (when given) into <paramref name="eps"/>, then writes z.</summary>
    public static void Forward(Tensor mu, Tensor logVar, Tensor eps, Tensor z, RandomGenerator? generator)
    {
        CheckShapes("Reparameterize", mu, logVar, eps, z);
        generator?.Normal(eps);
        mu.Device.Kernel(ReparameterizeLoaders.Forward)(Check.LaunchSize("Reparameterize", mu.Numel), mu.View, logVar.View, eps.View, z.View);
    }

    /// <summary><c>dmu (+)= dz</c>, <c>dlogvar (+)= dz eps exp(logvar / 2) / 2</c>.</summary>
    public static void Backward(Tensor dz, Tensor logVar, Tensor eps, Tensor dMu, Tensor dLogVar, bool accumulate = false)
    {
        CheckShapes("Reparameterize backward", dz, logVar, eps, dMu);
        Check.SameShape("Reparameterize backward", "logvar gradient", dLogVar.Shape, "logvar", logVar.Shape);
        dz.Device.Kernel(ReparameterizeLoaders.Backward)(Check.LaunchSize("Reparameterize", dz.Numel), dz.View, logVar.View, eps.View, dMu.View, dLogVar.View, Launch.Flag(accumulate));
    }

    private static void CheckShapes(string op, Tensor a, Tensor b, Tensor c, Tensor d)
    {
        Check.SameDevice(op, a.Device, a, b, c, d);
        Check.SameShape(op, "mu", a.Shape, "logvar", b.Shape);
        Check.SameShape(op, "eps", c.Shape, "logvar", b.Shape);
        Check.SameShape(op, "output", d.Shape, "logvar", b.Shape);
    }
}
