using Engine.Ops.Layout;
using Engine.Ops.Linear;
using Engine.Ops.Random;

namespace Engine.Graph.Nodes;

/// <summary>linear node: y = x W^T + b; saves x.</summary>
public sealed class LinearNode(string name, Node x, Parameter weight, Parameter? bias) : WeightedNode(name, x, weight, bias)
{
    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => LinearOp.Forward(c.Value(Inputs[0]), Weight.Value, Bias?.Value, c.Value(Outputs[0]));

    /// <inheritdoc/>
    protected override void Gradients(Tensors.Tensor dy, Tensors.Tensor x, Tensors.Tensor? dx, Tensors.Tensor? dWeight, Tensors.Tensor? dBias, bool accumulate) =>
        LinearOp.Backward(dy, x, Weight.Value, dx, dWeight, dBias, accumulate);
}

/// <summary>A reshape (flatten) node: copies the values in the new shape; the gradient is copied back.</summary>
public sealed class ReshapeNode(string name, Node x) : GraphOp(name, x)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => AddOp.Route(c.Value(Inputs[0]), c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            AddOp.Route(c.Grad(Outputs[0])!, dx, 1f, accumulate);
    }
}

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
