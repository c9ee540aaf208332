using Engine.Ops.Convolution;

namespace Engine.Graph.Nodes;

/// <summary>conv2d node: y = conv2d(x, w) + b. Saves x for the weight gradient.</summary>
public sealed class Conv2dNode : GraphOp
{
    private readonly Conv2dSpec _spec;
    private readonly Parameter _weight;
    private readonly Parameter? _bias;

    /// <summary>Creates the node; the spec was validated against x and w.</summary>
    public Conv2dNode(string name, Conv2dSpec spec, Node x, Parameter weight, Parameter? bias) : base(name, x)
    {
        _spec = spec;
        _weight = weight;
        _bias = bias;
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => _bias is null ? [_weight] : [_weight, _bias];

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) =>
        Conv2dOp.Forward(_spec, c.Value(Inputs[0]), _weight.Value, _bias?.Value, c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var dy = c.Grad(Outputs[0])!;
        var x = c.Value(Inputs[0]);
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            Conv2dOp.Backward(_spec, dy, x, _weight.Value, dx, null, null, accumulate);
        Conv2dOp.Backward(_spec, dy, x, _weight.Value, null, _weight.RequiresGrad ? _weight.Grad : null,
            _bias is { RequiresGrad: true } ? _bias.Grad : null, accumulate: true);
    }
}

/// <summary>conv_transpose2d node (zero-dilation forward). Saves x for the weight gradient.</summary>
public sealed class ConvTranspose2dNode : GraphOp
{
    private readonly ConvTranspose2dSpec _spec;
    private readonly Parameter _weight;
    private readonly Parameter? _bias;

    /// <summary>Creates the node; the spec was validated against x and w.</summary>
    public ConvTranspose2dNode(string name, ConvTranspose2dSpec spec, Node x, Parameter weight, Parameter? bias) : base(name, x)
    {
        _spec = spec;
        _weight = weight;
        _bias = bias;
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => _bias is null ? [_weight] : [_weight, _bias];

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [Inputs[0]];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) =>
        ConvTranspose2dOp.Forward(_spec, c.Value(Inputs[0]), _weight.Value, _bias?.Value, c.Value(Outputs[0]));

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var dy = c.Grad(Outputs[0])!;
        var x = c.Value(Inputs[0]);
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            ConvTranspose2dOp.Backward(_spec, dy, x, _weight.Value, dx, null, null, accumulate);
        ConvTranspose2dOp.Backward(_spec, dy, x, _weight.Value, null, _weight.RequiresGrad ? _weight.Grad : null,
            _bias is { RequiresGrad: true } ? _bias.Grad : null, accumulate: true);
    }
}
