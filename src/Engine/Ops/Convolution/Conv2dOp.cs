using Engine.Devices;
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
        bool biasAdded = ConvPaths.Forward(x.Device, spec.Geometry, x.View, w.View, b?.View, y.View, null); // implicit GEMM: the bias in the product's epilogue
        if (b is not null && !biasAdded)
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
        if (!ConvPaths.Forward(x.Device, spec.Geometry, x.View, w.View, b.View, y.View, activated.View)) // implicit GEMM: bias and ReLU in the epilogue
            TensorOps.AddChannelBiasRelu(y, b, activated);
    }

    /// <summary>
    /// Gradients of <see cref="Forward"/> given <c>dy = dL/dy</c>: any of dx, dw, db may be null
    /// (not needed). With <paramref name="accumulate"/> they are added to, as PyTorch accumulates
    /// into <c>.grad</c>; otherwise overwritten.
    /// </summary>
    public static void Backward(Conv2dSpec spec, Tensor dy, Tensor x, Tensor w, Tensor? dx, Tensor? dw, Tensor? db, bool accumulate = false) =>
        Backward(spec, dy, x, w, dx, dw, db, accumulate, accumulate, null);

    /// <summary>
    /// Gradients of <see cref="Forward"/>, dx added to or overwritten as <paramref name="accumulateInput"/>
    /// says and dw, db as <paramref name="accumulateParameters"/> says. With <paramref name="reluPre"/>,
    /// dy is the gradient of <c>relu(reluPre)</c> (reluPre being this convolution's output, the
    /// pre-activation that <see cref="ForwardRelu"/> keeps): the gradient through the ReLU is taken
    /// on the fly where the convolution runs as implicit GEMM, and written out first elsewhere.
    /// </summary>
    public static void Backward(Conv2dSpec spec, Tensor dy, Tensor x, Tensor w, Tensor? dx, Tensor? dw, Tensor? db,
        bool accumulateInput, bool accumulateParameters, Tensor? reluPre)
    {
        CheckTensors(spec, x, w, null, dy, "output gradient", nameof(Backward));
        var g = spec.Geometry;
        var device = x.Device;
        if (dx is not null)
        {
            Check.SameDevice("Conv2d backward", device, dx);
            Check.SameShape("Conv2d backward", "input gradient", dx.Shape, "input", x.Shape);
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
        if (reluPre is not null)
        {
            Check.SameDevice("Conv2d backward", device, reluPre);
            Check.SameShape("Conv2d backward", "ReLU pre-activation", reluPre.Shape, "output gradient", dy.Shape);
            if (!ConvReluFusion.TakesReluBackward(device, g, dx is not null, db is not null && dw is null))
            {
                // The gradient through the ReLU, written out, then the convolution's backward.
                using var through = Tensor.Empty(device, dy.Shape);
                Activation.ActivationOp.Backward(Activation.ActivationKind.Relu, reluPre, dy, through);
                Backward(spec, through, x, w, dx, dw, db, accumulateInput, accumulateParameters, null);
                return;
            }
        }
        ConvPaths.Backward(device, g, new ConvBackwardRequest(dy.View)
        {
            W = w.View, X = x.View, Dx = dx?.View, AccumulateInput = accumulateInput,
            Dw = dw?.View, Db = db?.View, AccumulateWeights = accumulateParameters, ReluPre = reluPre?.View,
        });
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

    /// <summary>Device bytes <see cref="Forward"/> (or <see cref="ForwardRelu"/>) allocates for a while, beyond its output, on <paramref name="device"/>.</summary>
    internal static long ForwardWorkspace(Conv2dSpec spec, ComputeDevice device) => ConvPaths.ForwardWorkspace(device, spec.Geometry);

    /// <summary>
    /// Device bytes <see cref="Backward(Conv2dSpec, Tensor, Tensor, Tensor, Tensor?, Tensor?, Tensor?, bool, bool, Tensor?)"/>
    /// holds at once for the gradients asked for (<paramref name="reluPre"/>: through a fused ReLU), mirroring its paths.
    /// </summary>
    internal static long BackwardWorkspace(Conv2dSpec spec, ComputeDevice device, bool dx, bool dw, bool db, bool reluPre)
    {
        if (reluPre && !ConvReluFusion.TakesReluBackward(device, spec.Geometry, dx, db && !dw))
            return 4 * spec.OutputShape.Numel + BackwardWorkspace(spec, device, dx, dw, db, reluPre: false); // the gradient through the ReLU, written out
        return ConvPaths.BackwardWorkspace(device, spec.Geometry, dx, dw, db);
    }
}
