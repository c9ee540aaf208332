using Engine.Devices;
using Engine.Ops.Random;
using Engine.Tensors;

namespace Engine.Graph;

/// <summary>
/// Builds a graph by running modules on symbolic <see cref="Node"/>s: every op checks and infers
/// its shapes as it is added, so a mistake is reported while building, with the module path.
/// <c>Compile</c> turns the graph into an executable, memory-planned <see cref="CompiledGraph"/>.
/// </summary>
public sealed class GraphBuilder
{
    private readonly List<Node> _nodes = new();
    private readonly List<GraphOp> _ops = new();
    private readonly List<Node> _inputs = new();
    private readonly Stack<string> _scopes = new();

    /// <summary>Starts a graph for a device, in training or evaluation mode, with a seed for its random ops.</summary>
    public GraphBuilder(ComputeDevice device, bool training = true, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        Training = training;
        Generator = new RandomGenerator(seed);
    }

    /// <summary>The device the graph will run on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Training mode (batch statistics, dropout active) or evaluation.</summary>
    public bool Training { get; }

    /// <summary>The generator dropout and reparameterisation draw from.</summary>
    public RandomGenerator Generator { get; }

    /// <summary>The nodes, in creation (topological) order.</summary>
    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>The ops, in creation (topological) order.</summary>
    public IReadOnlyList<GraphOp> Ops => _ops;

    /// <summary>The graph inputs.</summary>
    public IReadOnlyList<Node> Inputs => _inputs;

    /// <summary>The current module path (<c>layer1.0.conv1</c>), empty at the top.</summary>
    public string Path => string.Join(".", _scopes.Reverse().Where(s => s.Length > 0));

    /// <summary>A float input of a fixed shape; with <paramref name="requiresGrad"/> its gradient is computed too.</summary>
    public Node Input(string name, Shape shape, bool requiresGrad = false)
    {
        var node = NewNode(shape, ValueKind.Float, name);
        node.RequiresGrad = requiresGrad;
        _inputs.Add(node);
        return node;
    }

    /// <summary>A float input of a fixed shape.</summary>
    public Node Input(string name, params int[] shape) => Input(name, new Shape(shape));

    /// <summary>An int32 input (class targets).</summary>
    public Node IntInput(string name, params int[] shape)
    {
        var node = NewNode(new Shape(shape), ValueKind.Int, name);
        _inputs.Add(node);
        return node;
    }

    /// <summary>Enters a module scope; dispose to leave it.</summary>
    public IDisposable Scope(string name)
    {
        _scopes.Push(name);
        return new ScopeExit(_scopes);
    }

    /// <summary>
    /// Adds an op with its output shapes and kinds, returning the output nodes. An output requires a
    /// gradient when the op is differentiable and an input or parameter does.
    /// </summary>
    public Node[] Add(GraphOp op, params (Shape Shape, ValueKind Kind)[] outputs)
    {
        ArgumentNullException.ThrowIfNull(op);
        foreach (var input in op.Inputs)
        {
            if (!ReferenceEquals(input.Graph, this))
                throw new ArgumentException($"{op.Name}: input {input} belongs to another graph.");
        }
        bool requiresGrad = op.IsDifferentiable &&
            (op.Inputs.Any(i => i.RequiresGrad) || op.Parameters.Any(p => p.RequiresGrad));
        var nodes = new Node[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            var node = NewNode(outputs[i].Shape, outputs[i].Kind, outputs.Length == 1 ? op.Name : $"{op.Name}[{i}]");
            node.Producer = op;
            node.RequiresGrad = requiresGrad && outputs[i].Kind == ValueKind.Float;
            op.AddOutput(node);
            nodes[i] = node;
        }
        _ops.Add(op);
        return nodes;
    }

    /// <summary>A name for an op created now: the module path and the op kind.</summary>
    public string OpName(string kind) => Path.Length == 0 ? kind : $"{Path}.{kind}";

    /// <summary>
    /// Compiles the graph for the given outputs. With a <paramref name="loss"/> (a scalar, or any
    /// output whose gradient the caller will give) the plan includes the backward pass from it.
    /// </summary>
    public CompiledGraph Compile(Node? loss, IReadOnlyList<Node> outputs, CompileOptions? options = null) =>
        new(this, loss, outputs, options ?? new CompileOptions());

    /// <summary>Compiles a training graph: forward, and backward from the scalar loss.</summary>
    public CompiledGraph Compile(Node loss, params Node[] outputs) => new(this, loss, [loss, .. outputs], new CompileOptions());

    /// <summary>Compiles a forward-only graph (inference): no gradients, so activations die as soon as they are used.</summary>
    public CompiledGraph CompileInference(params Node[] outputs) => new(this, null, outputs, new CompileOptions());

    private Node NewNode(Shape shape, ValueKind kind, string name)
    {
        var node = new Node(this, _nodes.Count, shape, kind, name);
        _nodes.Add(node);
        return node;
    }

    private sealed class ScopeExit(Stack<string> scopes) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done)
                return;
            _done = true;
            scopes.Pop();
        }
    }
}

/// <summary>Options of <see cref="GraphBuilder.Compile(Node?, IReadOnlyList{Node}, CompileOptions?)"/>.</summary>
public sealed record CompileOptions
{
    /// <summary>Share buffers between values whose lifetimes do not overlap (true), or give each its own (false).</summary>
    public bool ReuseMemory { get; init; } = true;
}
