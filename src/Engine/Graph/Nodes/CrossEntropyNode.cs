using Engine.Ops.Latent;
using Engine.Ops.Losses;
using Engine.Tensors;

namespace Engine.Graph.Nodes;

/// <summary>
/// Cross-entropy node: outputs the scalar loss and its divisor (saved), with PyTorch's
/// <c>ignore_index</c>, class weights (host values, uploaded once per compiled graph) and label smoothing.
/// </summary>
public sealed class CrossEntropyNode(string name, Node logits, Node targets, int ignoreIndex, float[]? classWeights = null, float labelSmoothing = 0f)
    : GraphOp(name, logits, targets)
{
    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0], Inputs[1], Outputs[1]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) =>
        CrossEntropyOp.Forward(c.Value(Inputs[0]), c.IntValue(Inputs[1]), c.Value(Outputs[0]), c.Value(Outputs[1]), ignoreIndex, Weights(c), labelSmoothing);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            CrossEntropyOp.Backward(c.Value(Inputs[0]), c.IntValue(Inputs[1]), c.Value(Outputs[1]), c.Grad(Outputs[0])!, dx, ignoreIndex, accumulate, Weights(c), labelSmoothing);
    }

    private Tensor? Weights(ExecutionContext c) => classWeights is null ? null : c.Constant(this, "weight", classWeights);

    /// <inheritdoc/>
    internal override long ForwardWorkspace(Devices.ComputeDevice device, bool training)
    {
        long positions = Inputs[1].Shape.Numel;
        return 4 * positions + LossCore.ReduceWorkspace(positions); // the weights beside the terms
    }

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) => LossCore.BackwardScalars;
}
