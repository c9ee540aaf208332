using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Convolution;
using Engine.Ops.Pooling;
using Engine.Tensors;

namespace Engine.Modules.Layers;

/// <summary>
/// <c>nn.AdaptiveAvgPool2d(output_size)</c>: <c>[N, C, H, W]</c> to <c>[N, C, OutH, OutW]</c> whatever H and W
/// (see <see cref="Functional.AdaptiveAvgPool2d"/>). Unlike <see cref="GlobalAvgPool2d"/>, a size of 1 keeps the
/// trailing <c>1 x 1</c>, as PyTorch does.
/// </summary>
public sealed class AdaptiveAvgPool2d(Pair outputSize) : Module
{
    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var spec = AdaptivePool2dSpec.Create("AdaptiveAvgPool2d", input.Shape, outputSize);
        var g = input.Graph;
        return g.Add(new AdaptiveAvgPool2dNode(g.OpName("adaptive_avg_pool2d"), spec, input), (spec.OutputShape, ValueKind.Float))[0];
    }
}

/// <summary>
/// <c>nn.AdaptiveMaxPool2d(output_size)</c> (see <see cref="Functional.AdaptiveMaxPool2d"/>);
/// <see cref="WithIndices"/> also returns the int32 argmax indices (return_indices=True).
/// </summary>
public sealed class AdaptiveMaxPool2d(Pair outputSize) : Module
{
    /// <summary>The output and the int32 indices (flat <c>h * W + w</c> within each plane).</summary>
    public (Node Output, Node Indices) WithIndices(Node input, string name = "") => Scoped(input, name, () =>
    {
        var spec = AdaptivePool2dSpec.Create("AdaptiveMaxPool2d", input.Shape, outputSize);
        var g = input.Graph;
        var outputs = g.Add(new AdaptiveMaxPool2dNode(g.OpName("adaptive_max_pool2d"), spec, input), (spec.OutputShape, ValueKind.Float), (spec.OutputShape, ValueKind.Int));
        return (outputs[0], outputs[1]);
    });

    /// <inheritdoc/>
    protected override Node Forward(Node input) => WithIndices(input).Output;
}
