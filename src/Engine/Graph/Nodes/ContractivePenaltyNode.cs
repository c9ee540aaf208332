using Engine.Ops.Losses;

namespace Engine.Graph.Nodes;

/// <summary>
/// The contractive penalty node: reads the sigmoid code <c>h [N, J]</c> and the encoder layer's
/// weight <c>[J, I]</c> (a parameter, whose gradient it adds to, as the layers do).
/// </summary>
public sealed class ContractivePenaltyNode(string name, Node code, Parameter weight, LossReduction reduction) : GraphOp(name, code)
{
    /// <summary>The encoder layer's weight.</summary>
    public Parameter Weight { get; } = weight;

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => [Weight];

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => ContractivePenaltyOp.Forward(c.Value(Inputs[0]), Weight.Value, c.Value(Outputs[0]), reduction);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dCode, accumulate) = c.InputGrad(this, 0);
        ContractivePenaltyOp.Backward(c.Value(Inputs[0]), Weight.Value, c.Grad(Outputs[0])!, dCode, Weight.RequiresGrad ? Weight.Grad : null, reduction,
            accumulateCode: accumulate, accumulateWeight: true);
    }

    /// <inheritdoc/>
    internal override long ForwardWorkspace(Devices.ComputeDevice device, bool training) =>
        4 * (Weight.Shape.Numel + Weight.Shape[0]) + 4 * Inputs[0].Shape.Numel + LossCore.ReduceWorkspace(Inputs[0].Shape.Numel);

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) =>
        LossCore.BackwardScalars + 4 * (Weight.Shape.Numel + Weight.Shape[0]) + 4 * (Inputs[0].Shape.Numel + Inputs[0].Shape[1]);
}
