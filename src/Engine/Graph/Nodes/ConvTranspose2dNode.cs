using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine.Graph.Nodes;

/// <summary>conv_transpose2d node (zero-dilation forward). Saves x for the weight gradient.</summary>
public sealed class ConvTranspose2dNode(string name, ConvTranspose2dSpec spec, Node x, Parameter weight, Parameter? bias) : WeightedNode(name, x, weight, bias)
{
    /// <summary>The transposed convolution's geometry.</summary>
    public ConvTranspose2dSpec Spec => spec;

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) =>
        ConvTranspose2dOp.Forward(spec, c.Value(Inputs[0]), Weight.Value, Bias?.Value, c.Value(Outputs[0]));

    /// <inheritdoc/>
    protected override void Gradients(Tensor dy, Tensor x, Tensor? dx, Tensor? dWeight, Tensor? dBias, bool accumulate) =>
        ConvTranspose2dOp.Backward(spec, dy, x, Weight.Value, dx, dWeight, dBias, accumulate);

    /// <inheritdoc/>
    internal override long ForwardWorkspace(Devices.ComputeDevice device, bool training) => ConvTranspose2dOp.ForwardWorkspace(spec, device);

    /// <inheritdoc/>
    internal override long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) =>
        ConvTranspose2dOp.BackwardWorkspace(spec, device, inputGets(0), Weight.RequiresGrad, Bias is { RequiresGrad: true });
}
