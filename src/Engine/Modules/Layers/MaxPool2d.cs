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
