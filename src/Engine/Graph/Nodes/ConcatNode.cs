using Engine.Ops.Layout;

namespace Engine.Graph.Nodes;

/// <summary>Concatenation along channels.</summary>
public sealed class ConcatNode(string name, params Node[] parts) : GraphOp(name, parts)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => ConcatOp.Forward(Inputs.Select(c.Value).ToList(), c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var dy = c.Grad(Outputs[0])!;
        var channels = Inputs.Select(i => i.Shape[1]).ToList();
        for (int i = 0; i < Inputs.Count; i++)
        {
            var (dx, accumulate) = c.InputGrad(this, i);
            if (dx is null)
                continue;
            var only = Enumerable.Range(0, Inputs.Count).Select(j => j == i ? dx : null).ToList();
            ConcatOp.Backward(dy, only, channels, accumulate);
        }
    }
}
