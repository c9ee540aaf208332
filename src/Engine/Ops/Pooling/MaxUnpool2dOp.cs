using Engine.Kernels.Pooling;
using Engine.Ops.Convolution;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Pooling;

/// <summary>
/// A validated max unpooling: input and indices <c>[N, C, H, W]</c> to <c>[N, C, OutH, OutW]</c>,
/// with the default size <c>(H - 1) s - 2 p + k</c> or an explicit one that PyTorch would accept
/// (strictly within a stride of the default).
/// </summary>
public sealed record MaxUnpool2dSpec(int N, int Channels, Pair InputSize, Pair OutputSize)
{
    /// <summary>Input (and indices) shape.</summary>
    public Shape InputShape => new(N, Channels, InputSize.H, InputSize.W);

    /// <summary>Output shape.</summary>
    public Shape OutputShape => new(N, Channels, OutputSize.H, OutputSize.W);

    /// <summary>Checks the arguments and computes the output size.</summary>
    public static MaxUnpool2dSpec Create(Shape input, Shape indices, Pair kernel, Pair? stride, Pair padding, Pair? outputSize)
    {
        const string op = "MaxUnpool2d";
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: input must be [N, C, H, W], got {input}.", nameof(input));
        if (indices != input)
            throw new ArgumentException($"{op}: indices shape {indices} must equal the input shape {input}.", nameof(indices));
        Conv2dSpec.CheckPositive(op, "kernel_size", kernel);
        var s = stride ?? kernel;
        Conv2dSpec.CheckPositive(op, "stride", s);
        if (padding.H < 0 || padding.W < 0)
            throw new ArgumentException($"{op}: padding must be non-negative, got {padding}.", nameof(padding));
        var defaults = new Pair((input[2] - 1) * s.H - 2 * padding.H + kernel.H, (input[3] - 1) * s.W - 2 * padding.W + kernel.W);
        var size = outputSize ?? defaults;
        if (size.H <= defaults.H - s.H || size.H >= defaults.H + s.H || size.W <= defaults.W - s.W || size.W >= defaults.W + s.W)
            throw new ArgumentException($"{op}: output_size {size} must lie strictly between default - stride and default + stride per axis (default {defaults}, stride {s}).", nameof(outputSize));
        if (size.H <= 0 || size.W <= 0)
            throw new ArgumentException($"{op}: output size {size} is not positive.", nameof(outputSize));
        return new MaxUnpool2dSpec(input[0], input[1], new Pair(input[2], input[3]), size);
    }
}

/// <summary>Max unpooling (a deterministic per-plane scatter) and its gather backward.</summary>
public static class MaxUnpool2dOp
{
    /// <summary>
    /// <c>y[n, c].flat[indices[n, c, h, w]] = x[n, c, h, w]</c>, zero elsewhere. Indices outside the
    /// output plane are skipped (a kernel cannot throw); where two coincide the later one wins.
    /// </summary>
    public static void Forward(MaxUnpool2dSpec spec, Tensor x, IntTensor indices, Tensor y)
    {
        const string op = "MaxUnpool2d";
        Check.SameDevice(op, x.Device, x, indices, y);
        Check.SameShape(op, "input", x.Shape, "the spec's input", spec.InputShape);
        Check.SameShape(op, "indices", indices.Shape, "the spec's input", spec.InputShape);
        Check.SameShape(op, "output", y.Shape, "the spec's output", spec.OutputShape);
        TensorOps.Fill(y, 0f);
        int inPlane = spec.InputSize.H * spec.InputSize.W, outPlane = spec.OutputSize.H * spec.OutputSize.W;
        x.Device.Kernel(MaxUnpoolLoaders.Forward)(spec.N * spec.Channels, x.View, indices.View, y.View, inPlane, outPlane);
    }

    /// <summary><c>dx (+)= dy[n, c].flat[indices[n, c, h, w]]</c>.</summary>
    public static void Backward(MaxUnpool2dSpec spec, Tensor dy, IntTensor indices, Tensor dx, bool accumulate = false)
    {
        const string op = "MaxUnpool2d backward";
        Check.SameDevice(op, dy.Device, dy, indices, dx);
        Check.SameShape(op, "output gradient", dy.Shape, "the spec's output", spec.OutputShape);
        Check.SameShape(op, "indices", indices.Shape, "the spec's input", spec.InputShape);
        Check.SameShape(op, "input gradient", dx.Shape, "the spec's input", spec.InputShape);
        int inPlane = spec.InputSize.H * spec.InputSize.W, outPlane = spec.OutputSize.H * spec.OutputSize.W;
        dy.Device.Kernel(MaxUnpoolLoaders.Backward)(Check.LaunchSize(op, dx.Numel), dy.View, indices.View, dx.View, inPlane, outPlane, Launch.Flag(accumulate));
    }
}
