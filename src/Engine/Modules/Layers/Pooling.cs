using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Convolution;
using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;
using Engine.Tensors;

namespace Engine.Modules.Layers;

/// <summary><c>nn.MaxPool2d</c>; <see cref="WithIndices"/> also returns the argmax indices (return_indices=True).</summary>
public sealed class MaxPool2d(Pair kernelSize, Pair? stride = null, Pair? padding = null, Pair? dilation = null, bool ceilMode = false) : Module
{
    /// <summary>The output and the int32 indices, for a later <see cref="MaxUnpool2d"/>.</summary>
    public (Node Output, Node Indices) WithIndices(Node input, string name = "") => Scoped(input, name, () =>
    {
        var spec = Pool2dSpec.Create("MaxPool2d", input.Shape, kernelSize, stride, padding ?? 0, dilation ?? 1, ceilMode);
        var g = input.Graph;
        var outputs = g.Add(new MaxPool2dNode(g.OpName("max_pool2d"), spec, input), (spec.OutputShape, ValueKind.Float), (spec.OutputShape, ValueKind.Int));
        return (outputs[0], outputs[1]);
    });

    /// <inheritdoc/>
    protected override Node Forward(Node input) => WithIndices(input).Output;
}

/// <summary><c>nn.MaxUnpool2d</c>: call <see cref="Call(Node, Node, Pair?, string)"/> with the pooling indices.</summary>
public sealed class MaxUnpool2d(Pair kernelSize, Pair? stride = null, Pair? padding = null) : Module
{
    /// <summary>Unpools <paramref name="input"/> with <paramref name="indices"/> to the default or an explicit size.</summary>
    public Node Call(Node input, Node indices, Pair? outputSize = null, string name = "") => Scoped(input, name, () =>
    {
        if (indices.Kind != ValueKind.Int)
            throw new ArgumentException($"MaxUnpool2d needs int32 indices, got {indices}.");
        var spec = MaxUnpool2dSpec.Create(input.Shape, indices.Shape, kernelSize, stride, padding ?? 0, outputSize);
        var g = input.Graph;
        return g.Add(new MaxUnpool2dNode(g.OpName("max_unpool2d"), spec, input, indices), (spec.OutputShape, ValueKind.Float))[0];
    });

    /// <inheritdoc/>
    protected override Node Forward(Node input) =>
        throw new InvalidOperationException("MaxUnpool2d needs the pooling indices: call Call(input, indices).");
}

/// <summary><c>nn.AvgPool2d</c>.</summary>
public sealed class AvgPool2d(Pair kernelSize, Pair? stride = null, Pair? padding = null, bool ceilMode = false, bool countIncludePad = true) : Module
{
    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var spec = Pool2dSpec.Create("AvgPool2d", input.Shape, kernelSize, stride, padding ?? 0, 1, ceilMode, countIncludePad);
        var g = input.Graph;
        return g.Add(new AvgPool2dNode(g.OpName("avg_pool2d"), spec, input), (spec.OutputShape, ValueKind.Float))[0];
    }
}

/// <summary>Global average pooling, <c>[N, C, H, W]</c> to <c>[N, C]</c> (<c>nn.AdaptiveAvgPool2d(1)</c> then flatten).</summary>
public sealed class GlobalAvgPool2d : Module
{
    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        if (input.Shape.Rank != 4)
            throw new ArgumentException($"GlobalAvgPool2d: input must be [N, C, H, W], got {input.Shape}.");
        var g = input.Graph;
        return g.Add(new GlobalAvgPool2dNode(g.OpName("global_avg_pool"), input), (new Shape(input.Shape[0], input.Shape[1]), ValueKind.Float))[0];
    }
}

/// <summary><c>nn.Upsample(size | scale_factor, mode, align_corners)</c>; size and scale factor one value or one per axis.</summary>
public sealed class Upsample(Pair? size = null, ScaleFactor? scaleFactor = null, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false) : Module
{
    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var spec = InterpolateSpec.Create(input.Shape, size, scaleFactor is { } f ? (f.H, f.W) : null, mode, alignCorners);
        var g = input.Graph;
        return g.Add(new InterpolateNode(g.OpName("upsample"), spec, input), (spec.OutputShape, ValueKind.Float))[0];
    }
}
