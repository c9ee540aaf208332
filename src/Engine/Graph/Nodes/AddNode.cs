using Engine.Ops.Layout;

namespace Engine.Graph.Nodes;

/// <summary><c>y = a + b</c>, or a weighted sum <c>wa a + wb b</c> (the VAE's reconstruction + beta KL).</summary>
public sealed class AddNode(string name, Node a, Node b, float weightA = 1f, float weightB = 1f) : GraphOp(name, a, b)
{
    /// <summary>The factors of the two inputs: <c>weightA a + weightB b</c>.</summary>
    public (float A, float B) Weights => (weightA, weightB);

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c)
    {
        var y = c.Value(Outputs[0]);
        if (weightA == 1f && weightB == 1f)
        {
            AddOp.Forward(c.Value(Inputs[0]), c.Value(Inputs[1]), y);
            return;
        }
        AddOp.Route(c.Value(Inputs[0]), y, weightA);
        AddOp.Route(c.Value(Inputs[1]), y, weightB, accumulate: true);
    }

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var dy = c.Grad(Outputs[0])!;
        for (int i = 0; i < 2; i++)
        {
            var (dx, accumulate) = c.InputGrad(this, i);
            if (dx is not null)
                AddOp.Route(dy, dx, i == 0 ? weightA : weightB, accumulate);
        }
    }
}
