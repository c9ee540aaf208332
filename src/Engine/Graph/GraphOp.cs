namespace Engine.Graph;

/// <summary>
/// One operation of a graph: it names its inputs and outputs, runs forward, and either
/// implements backward or declares itself not differentiable. Each subclass keeps its forward
/// and backward together, calling the same <c>*Op</c> kernels launchers as the functional API.
/// </summary>
public abstract class GraphOp
{
    /// <summary>Creates an op over input nodes; outputs are added by <see cref="GraphBuilder"/>.</summary>
    protected GraphOp(string name, params Node[] inputs)
    {
        Name = name;
        Inputs = inputs;
    }

    /// <summary>Module path and op name, for errors and reports.</summary>
    public string Name { get; }

    /// <summary>Input nodes (float or int).</summary>
    public IReadOnlyList<Node> Inputs { get; }

    /// <summary>Output nodes.</summary>
    public IReadOnlyList<Node> Outputs => _outputs;

    private readonly List<Node> _outputs = new();

    internal void AddOutput(Node node) => _outputs.Add(node);

    /// <summary>Parameters this op reads (their gradients are accumulated by backward).</summary>
    public virtual IEnumerable<Parameter> Parameters => [];

    /// <summary>False for ops that pass no gradient (index producers, metrics); the default is true.</summary>
    public virtual bool IsDifferentiable => true;

    /// <summary>
    /// The inputs and outputs whose values the backward pass reads; the memory plan keeps them
    /// alive until this op's backward has run.
    /// </summary>
    public abstract IEnumerable<Node> SavedForBackward { get; }

    /// <summary>Computes the outputs from the inputs.</summary>
    public abstract void Forward(ExecutionContext context);

    /// <summary>
    /// Adds this op's contribution to the gradients of its inputs (those that require one) and of
    /// its parameters, from the gradients of its outputs.
    /// </summary>
    public abstract void Backward(ExecutionContext context);

    /// <summary>
    /// Device bytes the forward pass allocates for a while beyond the planned outputs (columns,
    /// partial sums, a loss's terms), at most at once: what a memory plan adds to its buffers.
    /// </summary>
    internal virtual long ForwardWorkspace(Devices.ComputeDevice device, bool training) => 0;

    /// <summary>
    /// Device bytes the backward pass allocates for a while, at most at once, given which inputs
    /// receive a gradient (<paramref name="inputGets"/>) and whether the ReLU after this op runs its
    /// backward inside it (<paramref name="throughRelu"/>).
    /// </summary>
    internal virtual long BackwardWorkspace(Devices.ComputeDevice device, Func<int, bool> inputGets, bool throughRelu) => 0;

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A graph op that passes no gradient (its <see cref="Backward"/> is never called).</summary>
public abstract class NonDifferentiableOp : GraphOp
{
    /// <summary>Creates the op.</summary>
    protected NonDifferentiableOp(string name, params Node[] inputs) : base(name, inputs) { }

    /// <inheritdoc/>
    public sealed override bool IsDifferentiable => false;

    /// <inheritdoc/>
    public sealed override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public sealed override void Backward(ExecutionContext context) =>
        throw new InvalidOperationException($"{Name} is not differentiable.");
}
