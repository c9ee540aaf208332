using Engine.Tensors;

namespace Engine.Ops.Convolution;

/// <summary>
/// Conv2d on validated specs, writing into caller-owned tensors: what graph nodes call.
/// <c>Functional.Conv2d</c> is the allocating, PyTorch-style entry point.
/// </summary>
public static class Conv2dOp
{
    /// <summary><c>y = conv2d(x, w) + b</c>. x <c>[N, Cin, H, W]</c>, w <c>[Cout, Cin/G, KH, KW]</c>, b <c>[Cout]</c> or null, y <c>spec.OutputShape</c>.</summary>
    public static void Forward(Conv2dSpec spec, Tensor x, Tensor w, Tensor? b, Tensor y)
    {
        CheckTensors(spec, x, w, b, y, "output", nameof(Forward));
        var g = spec.Geometry;
        if (b is not null && ImplicitConvolution.Applies(x.Device))
        {
            ImplicitConvolution.Forward(x.Device, g, x.View, w.View, b.View, y.View, null); // the bias in the product's epilogue
            return;
        }
        ConvCore.Forward(x.Device, g, x.View, w.View, y.View);
        if (b is not null)
            TensorOps.AddChannelBias(y, b);
    }

    /// <summary>
    /// <see cref="Forward"/> followed by a ReLU, with the bias and the ReLU in one pass: y receives
    /// <c>conv2d(x, w) + b</c> (what ReLU's backward reads) and <paramref name="activated"/> its ReLU.
    /// </summary>
    public static void ForwardRelu(Conv2dSpec spec, Tensor x, Tensor w, Tensor b, Tensor y, Tensor activated)
    {
        CheckTensors(spec, x, w, b, y, "output", nameof(ForwardRelu));
        Check.SameDevice(nameof(ForwardRelu), x.Device, activated);
        Check.SameShape(nameof(ForwardRelu), "activation", activated.Shape, "output", y.Shape);
        if (ImplicitConvolution.Applies(x.Device))
        {
            ImplicitConvolution.Forward(x.Device, spec.Geometry, x.View, w.View, b.View, y.View, activated.View); // bias and ReLU in the epilogue
            return;
        }
        ConvCore.Forward(x.Device, spec.Geometry, x.View, w.View, y.View);
        TensorOps.AddChannelBiasRelu(y, b, activated);
    }

    /// <summary>
    /// Gradients of <see cref="Forward"/> given <c>dy = dL/dy</c>: any of dx, dw, db may be null
    /// (not needed). With <paramref name="accumulate"/> they are added to, as PyTorch accumulates
    /// into <c>.grad</c>; otherwise overwritten.
    /// </summary>
    public static void Backward(Conv2dSpec spec, Tensor dy, Tensor x, Tensor w, Tensor? dx, Tensor? dw, Tensor? db, bool accumulate = false)
    {
        CheckTensors(spec, x, w, null, dy, "output gradient", nameof(Backward));
        var g = spec.Geometry;
        var device = x.Device;
        if (dx is not null)
        {
            Check.SameDevice("Conv2d backward", device, dx);
            Check.SameShape("Conv2d backward", "input gradient", dx.Shape, "input", x.Shape);
            ConvCore.InputGradient(device, g, w.View, dy.View, dx.View, accumulate);
        }
        if (dw is not null)
        {
            Check.SameDevice("Conv2d backward", device, dw);
            Check.SameShape("Conv2d backward", "weight gradient", dw.Shape, "weight", w.Shape);
        }
        if (db is not null)
        {
            Check.SameDevice("Conv2d backward", device, db);
            Check.SameShape("Conv2d backward", "bias gradient", db.Shape, "bias", new Shape(g.OutChannels));
        }
        if (dw is not null && db is not null && ImplicitConvolution.Applies(device))
        {
            // The bias gradient as one more column of the weight gradient's product.
            ImplicitConvolution.WeightGradient(device, g, x.View, dy.View, dw.View, db.View, accumulate);
            return;
        }
        if (dw is not null)
            ConvCore.WeightGradient(device, g, x.View, dy.View, dw.View, accumulate);
        if (db is not null)
            ConvCore.BiasGradient(device, dy.View, db.View, g.N, g.OutChannels, g.OutH * g.OutW, accumulate);
    }

    private static void CheckTensors(Conv2dSpec spec, Tensor x, Tensor w, Tensor? b, Tensor y, string yName, string method)
    {
        string op = $"Conv2d.{method}";
        Check.SameDevice(op, x.Device, x, w, y);
        var g = spec.Geometry;
        Check.SameShape(op, "input", x.Shape, "the spec's input", new Shape(g.N, g.InChannels, g.H, g.W));
        Check.SameShape(op, "weight", w.Shape, "the spec's weight", spec.WeightShape);
        Check.SameShape(op, yName, y.Shape, "the spec's output", spec.OutputShape);
        if (b is not null)
        {
            Check.SameDevice(op, x.Device, b);
            if (b.Shape != new Shape(g.OutChannels))
                throw new ArgumentException($"{op}: bias must be [{g.OutChannels}] for weight {w.Shape}, got {b.Shape}.", nameof(b));
        }
        if (y.SharesStorageWith(x))
            throw new ArgumentException($"{op}: the {yName} must not share memory with the input.");
    }
}
