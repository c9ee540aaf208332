using Engine.Ops.Layout;
using Engine.Ops.Random;

namespace Engine.Graph.Nodes;

/// <summary>Input corruption node (denoising autoencoders): in training draws fresh noise each run, remembering its counter offset for backward; the identity in evaluation.</summary>
public sealed class NoiseNode(string name, Node x, NoiseKind kind, float level) : GraphOp(name, x)
{
    private ulong _offset;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c)
    {
        if (c.Training)
            _offset = NoiseOp.Forward(kind, c.Value(Inputs[0]), c.Value(Outputs[0]), level, c.Generator);
        else
            AddOp.Route(c.Value(Inputs[0]), c.Value(Outputs[0]));
    }

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is null)
            return;
        if (c.Training)
            NoiseOp.Backward(kind, c.Grad(Outputs[0])!, dx, level, c.Generator.Seed, _offset, accumulate);
        else
            AddOp.Route(c.Grad(Outputs[0])!, dx, 1f, accumulate);
    }
}
