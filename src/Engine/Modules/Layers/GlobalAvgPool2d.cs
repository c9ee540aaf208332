using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Convolution;
using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;
using Engine.Tensors;

namespace Engine.Modules.Layers;

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
