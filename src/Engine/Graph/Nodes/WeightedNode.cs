namespace Engine.Graph.Nodes;

/// <summary>
/// An op with one input x, a weight and an optional bias (convolutions, linear): it saves x, and
/// its backward computes dx (overwritten or added, as the plan says) and then adds the parameter
/// gradients, which accumulate until zeroed.
/// </summary>
public abstract class WeightedNode : GraphOp, IReluFusable
{
    /// <summary>Creates the node.</summary>
    protected WeightedNode(string name, Node x, Parameter weight, Parameter? bias) : base(name, x)
    {
        Weight = weight;
        Bias = bias;
    }

    /// <summary>The weight.</summary>
    public Parameter Weight { get; }

    /// <summary>The bias, if any.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public sealed override IEnumerable<Parameter> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    /// <inheritdoc/>
    public sealed override IEnumerable<Node> SavedForBackward => [Inputs[0]];

    /// <inheritdoc/>
    public sealed override void Backward(ExecutionContext c) => BackwardFrom(c, c.Grad(Outputs[0])!, null);

    /// <summary>
    /// The backward pass of this op and of the ReLU after it (<paramref name="relu"/>, fused in the
    /// forward pass) as one: the gradient of the ReLU's output goes through the ReLU on the fly,
    /// with this op's output (the pre-activation) as the mask; the ReLU's own backward is skipped.
    /// </summary>
    internal void BackwardThroughRelu(ExecutionContext c, GraphOp relu) => BackwardFrom(c, c.Grad(relu.Outputs[0])!, c.Value(Outputs[0]));

    private void BackwardFrom(ExecutionContext c, Tensors.Tensor dy, Tensors.Tensor? reluPre)
    {
        var x = c.Value(Inputs[0]);
        var (dx, accumulate) = c.InputGrad(this, 0);
        AllGradients(dy, x, dx, Weight.RequiresGrad ? Weight.Grad : null, Bias is { RequiresGrad: true } ? Bias.Grad : null, accumulate, reluPre);
    }

    /// <summary>
    /// Whether this op can take the backward pass of the ReLU it fuses forward on
    /// <paramref name="device"/> (<see cref="BackwardThroughRelu"/>): where its backward reads the
    /// output gradient in one place that can apply the ReLU's mask.
    /// </summary>
    internal virtual bool FusesReluBackward(Devices.ComputeDevice device) => false;

    /// <summary>
    /// dx (overwritten or added, as <paramref name="accumulateInput"/> says) and the parameter
    /// gradients (added); with <paramref name="reluPre"/>, dy is the gradient of <c>relu(reluPre)</c>.
    /// By default two calls of <see cref="Gradients"/>; an op that computes them together overrides it.
    /// </summary>
    protected virtual void AllGradients(Tensors.Tensor dy, Tensors.Tensor x, Tensors.Tensor? dx, Tensors.Tensor? dWeight, Tensors.Tensor? dBias,
        bool accumulateInput, Tensors.Tensor? reluPre)
    {
        if (reluPre is not null)
            throw new InvalidOperationException($"{Name} does not take a ReLU's backward pass.");
        if (dx is not null)
            Gradients(dy, x, dx, null, null, accumulateInput);
        Gradients(dy, x, null, dWeight, dBias, accumulate: true);
    }

    /// <summary>True when <see cref="ForwardRelu"/> can run this op and the ReLU after it as one (a convolution with a bias).</summary>
    public virtual bool FusesRelu => false;

    /// <summary>Forward, then the ReLU that consumes the output, into <paramref name="activated"/> (the ReLU's output); the output keeps the pre-activation.</summary>
    public virtual void ForwardRelu(ExecutionContext c, Tensors.Tensor activated) =>
        throw new InvalidOperationException($"{Name} does not fuse a ReLU.");

    /// <summary>The op's backward for the requested gradients (null ones are skipped).</summary>
    protected abstract void Gradients(Tensors.Tensor dy, Tensors.Tensor x, Tensors.Tensor? dx, Tensors.Tensor? dWeight, Tensors.Tensor? dBias, bool accumulate);
}
