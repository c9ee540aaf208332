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
    public sealed override void Backward(ExecutionContext c)
    {
        var dy = c.Grad(Outputs[0])!;
        var x = c.Value(Inputs[0]);
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            Gradients(dy, x, dx, null, null, accumulate);
        Gradients(dy, x, null, Weight.RequiresGrad ? Weight.Grad : null, Bias is { RequiresGrad: true } ? Bias.Grad : null, accumulate: true);
    }

    /// <summary>True when <see cref="ForwardRelu"/> can run this op and the ReLU after it as one (a convolution with a bias).</summary>
    public virtual bool FusesRelu => false;

    /// <summary>Forward, then the ReLU that consumes the output, into <paramref name="activated"/> (the ReLU's output); the output keeps the pre-activation.</summary>
    public virtual void ForwardRelu(ExecutionContext c, Tensors.Tensor activated) =>
        throw new InvalidOperationException($"{Name} does not fuse a ReLU.");

    /// <summary>The op's backward for the requested gradients (null ones are skipped).</summary>
    protected abstract void Gradients(Tensors.Tensor dy, Tensors.Tensor x, Tensors.Tensor? dx, Tensors.Tensor? dWeight, Tensors.Tensor? dBias, bool accumulate);
}
