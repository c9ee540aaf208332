using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Upsampling;

namespace Engine.Modules.Layers;

/// <summary>
/// "Bed of nails" unpooling by <paramref name="factor"/> (the lecture notes' in-network upsampling):
/// each value at the top-left corner of its block, zeros elsewhere; no parameters.
/// </summary>
public sealed class BedOfNails(int factor = 2) : Module
{
    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var shape = BedOfNailsOp.OutputShape(input.Shape, factor);
        var g = input.Graph;
        return g.Add(new BedOfNailsNode(g.OpName("bed_of_nails"), input, factor), (shape, ValueKind.Float))[0];
    }
}
