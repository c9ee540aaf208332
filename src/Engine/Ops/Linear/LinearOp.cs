using Engine.Kernels.Blas;
using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine.Ops.Linear;

/// <summary>
/// Linear layer <c>y = x W^T + b</c>, x <c>[N, in]</c>, W <c>[out, in]</c>, b <c>[out]</c>, y <c>[N, out]</c>;
/// backward <c>dx = dy W</c>, <c>dW = dy^T x</c>, <c>db = sum_n dy</c>.
/// </summary>
public static class LinearOp
{
    /// <summary><c>y = x W^T + b</c>.</summary>
    public static void Forward(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        var (n, inFeatures, outFeatures) = CheckShapes("Linear", x, weight, y);
        if (bias is not null && bias.Shape != new Shape(outFeatures))
            throw new ArgumentException($"Linear: bias must be [{outFeatures}] for weight {weight.Shape}, got {bias.Shape}.", nameof(bias));
        var p = new GemmParams(n, outFeatures, inFeatures, inFeatures, inFeatures, outFeatures, 0, 0, 0, 1, 1f, 0f);
        Blas.Launch(x.Device, x.View, weight.View, y.View, false, true, p);
        if (bias is not null)
            TensorOps.AddChannelBias(y, bias);
    }

    /// <summary>Gradients of <see cref="Forward"/>; any may be null. Adds into them with <paramref name="accumulate"/>.</summary>
    public static void Backward(Tensor dy, Tensor x, Tensor weight, Tensor? dx, Tensor? dWeight, Tensor? dBias, bool accumulate = false)
    {
        const string op = "Linear backward";
        var (n, inFeatures, outFeatures) = CheckShapes(op, x, weight, dy);
        float beta = accumulate ? 1f : 0f;
        if (dx is not null)
        {
            Check.SameShape(op, "input gradient", dx.Shape, "input", x.Shape);
            var p = new GemmParams(n, inFeatures, outFeatures, outFeatures, inFeatures, inFeatures, 0, 0, 0, 1, 1f, beta);
            Blas.Launch(x.Device, dy.View, weight.View, dx.View, false, false, p);
        }
        if (dWeight is not null)
        {
            Check.SameShape(op, "weight gradient", dWeight.Shape, "weight", weight.Shape);
            var p = new GemmParams(outFeatures, inFeatures, n, outFeatures, inFeatures, inFeatures, 0, 0, 0, 1, 1f, beta);
            Blas.Launch(x.Device, dy.View, x.View, dWeight.View, true, false, p);
        }
        if (dBias is not null)
        {
            Check.SameShape(op, "bias gradient", dBias.Shape, "bias", new Shape(outFeatures));
            ConvCore.BiasGradient(x.Device, dy.View, dBias.View, n, outFeatures, 1, accumulate);
        }
    }

    private static (int N, int In, int Out) CheckShapes(string op, Tensor x, Tensor weight, Tensor y)
    {
        Check.SameDevice(op, x.Device, x, weight, y);
        if (x.Shape.Rank != 2)
            throw new ArgumentException($"{op}: input must be [N, in_features], got {x.Shape}.", nameof(x));
        if (weight.Shape.Rank != 2 || weight.Shape[1] != x.Shape[1])
            throw new ArgumentException($"{op}: weight must be [out_features, {x.Shape[1]}] for input {x.Shape}, got {weight.Shape}.", nameof(weight));
        Check.SameShape(op, "output", y.Shape, "[N, out_features]", new Shape(x.Shape[0], weight.Shape[0]));
        return (x.Shape[0], x.Shape[1], weight.Shape[0]);
    }
}
