using Engine.Ops.Layout;
using Engine.Ops.Linear;
using Engine.Ops.Random;

namespace Engine.Graph.Nodes;

/// <summary>Dropout node: in training draws a fresh mask each run, remembering its counter offset for backward.</summary>
public sealed class DropoutNode(string name, Node x, float p) : GraphOp(name, x)
{
    private ulong _offset;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c)
    {
        if (c.Training && p > 0)
            _offset = DropoutOp.Forward(c.Value(Inputs[0]), c.Value(Outputs[0]), p, c.Generator);
        else
            AddOp.Route(c.Value(Inputs[0]), c.Value(Outputs[0]));
    }

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is null)
            return;
        if (c.Training && p > 0)
            DropoutOp.Backward(c.Grad(Outputs[0])!, dx, p, c.Generator.Seed, _offset, accumulate);
        else
            AddOp.Route(c.Grad(Outputs[0])!, dx, 1f, accumulate);
    }
}
