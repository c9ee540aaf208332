using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine.Graph.Nodes;

/// <summary>conv2d node: y = conv2d(x, w) + b. Saves x for the weight gradient.</summary>
public sealed class Conv2dNode(string name, Conv2dSpec spec, Node x, Parameter weight, Parameter? bias) : WeightedNode(name, x, weight, bias)
{
    /// <summary>The convolution's geometry.</summary>
    public Conv2dSpec Spec => spec;

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) =>
        Conv2dOp.Forward(spec, c.Value(Inputs[0]), Weight.Value, Bias?.Value, c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override bool FusesRelu => Bias is not null;

    /// <inheritdoc/>
    public override void ForwardRelu(ExecutionContext c, Tensor activated) =>
        Conv2dOp.ForwardRelu(spec, c.Value(Inputs[0]), Weight.Value, Bias!.Value, c.Value(Outputs[0]), activated);

    /// <inheritdoc/>
    protected override void Gradients(Tensor dy, Tensor x, Tensor? dx, Tensor? dWeight, Tensor? dBias, bool accumulate) =>
        Conv2dOp.Backward(spec, dy, x, Weight.Value, dx, dWeight, dBias, accumulate);

    /// <inheritdoc/>
    protected override void AllGradients(Tensor dy, Tensor x, Tensor? dx, Tensor? dWeight, Tensor? dBias, bool accumulateInput, Tensor? reluPre) =>
        Conv2dOp.Backward(spec, dy, x, Weight.Value, dx, dWeight, dBias, accumulateInput, accumulateParameters: true, reluPre);

    /// <inheritdoc/>
    internal override bool FusesReluBackward(Devices.ComputeDevice device) =>
        FusesRelu && ConvReluFusion.TakesReluBackward(device, spec.Geometry, inputGradient: true, biasWithoutWeights: false);

    /// <inheritdoc/>
    internal override long ForwardWorkspace(Devices.ComputeDevice device, bool training) => Conv2dOp.ForwardWorkspace(spec, device);

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) =>
        Conv2dOp.BackwardWorkspace(spec, device, inputGets(0), Weight.RequiresGrad, Bias is { RequiresGrad: true }, throughRelu);
}
