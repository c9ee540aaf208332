using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Convolution;
using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;
using Engine.Tensors;

namespace Engine.Modules.Layers;

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
