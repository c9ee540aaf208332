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

    /// <summary>
    /// Forward with the crops in <paramref name="crops"/> (by input index) fused: each copies its
    /// window of its own input straight into its channels, and its own forward is skipped.
    /// </summary>
    internal void ForwardWithCrops(ExecutionContext c, IReadOnlyDictionary<int, CropNode> crops)
    {
        var y = c.Value(Outputs[0]);
        int offset = 0;
        for (int i = 0; i < Inputs.Count; i++)
        {
            if (crops.TryGetValue(i, out var crop))
                CropOp.ForwardInto(c.Value(crop.Inputs[0]), y, crop.Top, crop.Left, offset);
            else
                ConcatOp.ForwardPart(c.Value(Inputs[i]), y, offset);
            offset += Inputs[i].Shape[1];
        }
    }

    /// <summary>
    /// Backward with the crops in <paramref name="crops"/> fused: each crop's input gradient is
    /// written from this op's output gradient directly (the window; zero or unchanged outside).
    /// </summary>
    internal void BackwardWithCrops(ExecutionContext c, IReadOnlyDictionary<int, CropNode> crops)
    {
        var dy = c.Grad(Outputs[0])!;
        var channels = Inputs.Select(i => i.Shape[1]).ToList();
        int offset = 0;
        for (int i = 0; i < Inputs.Count; i++)
        {
            if (crops.TryGetValue(i, out var crop))
            {
                if (c.Grad(crop.Inputs[0]) is { } dx)
                    CropOp.BackwardFrom(dy, dx, crop.Top, crop.Left, offset, c.Accumulates(this, i));
            }
            else if (c.InputGrad(this, i) is ({ } dx, bool accumulate))
            {
                var only = Enumerable.Range(0, Inputs.Count).Select(j => j == i ? dx : null).ToList();
                ConcatOp.Backward(dy, only, channels, accumulate);
            }
            offset += channels[i];
        }
    }
}
