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
