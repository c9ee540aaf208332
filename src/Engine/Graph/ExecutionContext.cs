using Engine.Devices;
using Engine.Ops.Random;
using Engine.Tensors;

namespace Engine.Graph;

/// <summary>
/// What an op sees while a compiled graph runs: the planned tensors of its inputs and outputs,
/// the gradient buffers, whether a gradient write is the first (overwrite) or a later one (add),
/// the mode and the random generator.
/// </summary>
public sealed class ExecutionContext
{
    private readonly Dictionary<Node, Tensor> _values = new();
    private readonly Dictionary<Node, IntTensor> _intValues = new();
    private readonly Dictionary<Node, Tensor> _grads = new();
    private readonly HashSet<(GraphOp, int)> _accumulating = new();
    private readonly Dictionary<(GraphOp, string), Tensor> _constants = new();

    internal ExecutionContext(ComputeDevice device, bool training, RandomGenerator generator)
    {
        Device = device;
        Training = training;
        Generator = generator;
    }

    /// <summary>The device.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Training mode (batch statistics, dropout) or evaluation.</summary>
    public bool Training { get; internal set; }

    /// <summary>The graph's random generator (dropout, reparameterisation).</summary>
    public RandomGenerator Generator { get; }

    /// <summary>The float value of a node.</summary>
    public Tensor Value(Node node) => _values.TryGetValue(node, out var t) ? t
        : throw new InvalidOperationException($"{node} has no float value in this plan.");

    /// <summary>The int value of a node.</summary>
    public IntTensor IntValue(Node node) => _intValues.TryGetValue(node, out var t) ? t
        : throw new InvalidOperationException($"{node} has no int value in this plan.");

    /// <summary>The gradient buffer of a node, or null when no gradient flows to it.</summary>
    public Tensor? Grad(Node node) => _grads.GetValueOrDefault(node);

    /// <summary>
    /// The gradient buffer for input <paramref name="index"/> of <paramref name="op"/> (null when that
    /// input needs none) and whether to add to it (an earlier op already wrote it) or overwrite it.
    /// </summary>
    public (Tensor? Grad, bool Accumulate) InputGrad(GraphOp op, int index) =>
        (Grad(op.Inputs[index]), _accumulating.Contains((op, index)));

    /// <summary>Whether the gradient write for input <paramref name="index"/> of <paramref name="op"/> adds (an earlier op already wrote that gradient).</summary>
    public bool Accumulates(GraphOp op, int index) => _accumulating.Contains((op, index));

    /// <summary>
    /// A device copy of host data an op was built with (cross-entropy's class weights), uploaded
    /// on first use and kept until the compiled graph is disposed, so steps upload nothing.
    /// </summary>
    public Tensor Constant(GraphOp op, string name, float[] data)
    {
        if (!_constants.TryGetValue((op, name), out var tensor))
        {
            tensor = Tensor.FromArray(Device, data, data.Length);
            tensor.DetachFromScope();
            _constants[(op, name)] = tensor;
        }
        return tensor;
    }

    internal void DisposeConstants()
    {
        foreach (var tensor in _constants.Values)
            tensor.Dispose();
        _constants.Clear();
    }

    internal void SetValue(Node node, Tensor value) => _values[node] = value;
    internal void SetIntValue(Node node, IntTensor value) => _intValues[node] = value;
    internal void SetGrad(Node node, Tensor grad) => _grads[node] = grad;
    internal void MarkAccumulating(GraphOp op, int index) => _accumulating.Add((op, index));
}
