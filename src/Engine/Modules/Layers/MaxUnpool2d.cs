using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Convolution;
using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;
using Engine.Tensors;

namespace Engine.Modules.Layers;

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
