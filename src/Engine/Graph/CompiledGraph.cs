using Engine.Devices;
using Engine.Ops;
using Engine.Ops.Layout;
using Engine.Tensors;

namespace Engine.Graph;

/// <summary>
/// A graph compiled once and run many times: ops in topological order, the backward ops in
/// reverse, every activation, saved tensor and activation gradient in a planned buffer, views
/// made once. After the first step a training step allocates no device memory (op workspaces come
/// from the device's caching allocator) and copies nothing between host and device unless the
/// caller reads or writes a tensor.
/// </summary>
public sealed partial class CompiledGraph : IDisposable
{
    private readonly List<GraphOp> _forward;
    private readonly List<GraphOp> _backward;
    private readonly Dictionary<GraphOp, GraphOp> _fusedRelu; // convolution or batch norm -> the ReLU it runs with
    private readonly HashSet<GraphOp> _reluRunWithProducer;   // those ReLUs, skipped in their own turn
    private readonly Dictionary<GraphOp, GraphOp> _reluBackwardFused; // of those pairs, the ones whose producer also takes the ReLU's backward
    private readonly HashSet<GraphOp> _reluBackwardSkipped;           // those ReLUs, skipped in the backward pass
    private readonly Dictionary<GraphOp, Dictionary<int, Nodes.CropNode>> _cropsIntoConcat; // concatenation -> the crops it takes in, by input index
    private readonly HashSet<GraphOp> _cropRunByConcat;                // those crops, skipped in both passes
    private readonly List<DeviceTensor> _owned = new();
    private readonly ExecutionContext _context;
    private readonly Node? _loss;
    private readonly Tensor? _lossGrad; // the loss's gradient, its own buffer: it holds the seed 1 between steps
    private bool _lossGradHoldsOne;
    private bool _disposed;

    internal CompiledGraph(GraphBuilder graph, Node? loss, IReadOnlyList<Node> outputs, CompileOptions options)
    {
        Graph = graph;
        _loss = loss;
        (_forward, _backward, var needsGrad) = Schedule(graph, loss);
        Parameters = _forward.SelectMany(op => op.Parameters).Distinct().ToList();
        _fusedRelu = FuseRelus(_forward, loss, outputs);
        _reluRunWithProducer = _fusedRelu.Values.ToHashSet();
        _reluBackwardFused = FuseReluBackward(_fusedRelu, _backward, graph.Device);
        _reluBackwardSkipped = _reluBackwardFused.Values.ToHashSet();
        _cropsIntoConcat = FuseCrops(_forward, loss, outputs, graph.Device);
        _cropRunByConcat = _cropsIntoConcat.Values.SelectMany(c => c.Values).Cast<GraphOp>().ToHashSet();
        _context = new ExecutionContext(graph.Device, graph.Training, graph.Generator);
        _finalAfter = ScheduleGradients(_backward);

        Plan = BuildPlan(graph, loss, outputs, _forward, _backward, needsGrad, _fusedRelu, _reluBackwardFused, _cropsIntoConcat, options.ReuseMemory,
            out var valueOf, out var gradOf);
        Plan.WorkspaceBytes = Workspace(graph, _forward, _backward, needsGrad, _reluBackwardFused);
        graph.Device.EnsureFits(Plan.PeakBytes, $"the compiled graph's {Plan.Values.Count} activations and gradients and its ops' largest workspace");
        Materialize(valueOf, gradOf);
        MarkAccumulation(needsGrad);
        if (loss is not null)
        {
            // The seed of every Backward() is written once, not once a step: no op writes a loss's gradient.
            _lossGrad = Own(Tensor.Full(graph.Device, 1f, loss.Shape));
            _lossGradHoldsOne = true;
            _context.SetGrad(loss, _lossGrad);
        }
    }

    /// <summary>
    /// The memory plan <see cref="GraphBuilder.Compile(Node?, IReadOnlyList{Node}, CompileOptions?)"/>
    /// would make, without allocating anything: its <see cref="MemoryPlan.PlannedBytes"/> tell
    /// beforehand whether a step fits on the device.
    /// </summary>
    public static MemoryPlan PlanMemory(GraphBuilder graph, Node? loss, IReadOnlyList<Node> outputs, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var (forward, backward, needsGrad) = Schedule(graph, loss);
        var fused = FuseRelus(forward, loss, outputs);
        var reluBackward = FuseReluBackward(fused, backward, graph.Device);
        var plan = BuildPlan(graph, loss, outputs, forward, backward, needsGrad, fused, reluBackward,
            FuseCrops(forward, loss, outputs, graph.Device), (options ?? new CompileOptions()).ReuseMemory, out _, out _);
        plan.WorkspaceBytes = Workspace(graph, forward, backward, needsGrad, reluBackward);
        return plan;
    }

    /// <summary>The largest workspace an op of the schedule allocates on the graph's device, forward or backward (see <see cref="MemoryPlan.WorkspaceBytes"/>).</summary>
    private static long Workspace(GraphBuilder graph, List<GraphOp> forward, List<GraphOp> backward, HashSet<Node> needsGrad, Dictionary<GraphOp, GraphOp> reluBackwardFused)
    {
        long most = 0;
        foreach (var op in forward)
            most = Math.Max(most, op.ForwardWorkspace(graph.Device, graph.Training));
        foreach (var op in backward)
            most = Math.Max(most, op.BackwardWorkspace(graph.Device, i => needsGrad.Contains(op.Inputs[i]), reluBackwardFused.ContainsKey(op)));
        return most;
    }

    /// <summary>The ops in forward order, those that run backward (in reverse) and the nodes that receive a gradient.</summary>
    private static (List<GraphOp> Forward, List<GraphOp> Backward, HashSet<Node> NeedsGrad) Schedule(GraphBuilder graph, Node? loss)
    {
        var forward = graph.Ops.ToList();
        var needsGrad = loss is null ? new HashSet<Node>() : GradientNodes(graph, loss);
        var backward = forward.Where(op => op.IsDifferentiable && op.Outputs.Any(needsGrad.Contains)).Reverse().ToList();
        return (forward, backward, needsGrad);
    }

    /// <summary>The graph this was compiled from.</summary>
    public GraphBuilder Graph { get; }

    /// <summary>The memory plan.</summary>
    public MemoryPlan Plan { get; }

    /// <summary>The parameters the graph reads, in first-use order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Training mode (batch statistics, dropout) or evaluation; may be switched between runs.</summary>
    public bool Training
    {
        get => _context.Training;
        set => _context.Training = value;
    }

    /// <summary>The planned tensor of a float node (an input to fill, or a value to read after a run).</summary>
    public Tensor Value(Node node) => _context.Value(node);

    /// <summary>The planned tensor of an int node.</summary>
    public IntTensor IntValue(Node node) => _context.IntValue(node);

    /// <summary>The gradient of a node after <c>Backward</c>, or null when none flows to it.</summary>
    public Tensor? Grad(Node node) => _context.Grad(node);

    /// <summary>Runs every op forward.</summary>
    public void Forward()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var op in _forward)
        {
            if (_fusedRelu.TryGetValue(op, out var relu))
                ((IReluFusable)op).ForwardRelu(_context, _context.Value(relu.Outputs[0]));
            else if (_cropsIntoConcat.TryGetValue(op, out var crops))
                ((Nodes.ConcatNode)op).ForwardWithCrops(_context, crops);
            else if (!_reluRunWithProducer.Contains(op) && !_cropRunByConcat.Contains(op))
                op.Forward(_context); // a fused ReLU has run with its convolution, a fused crop runs with its concatenation
        }
    }

    /// <summary>Each op (convolution, batch norm) that runs its ReLU with it, mapped to that ReLU.</summary>
    internal IReadOnlyDictionary<GraphOp, GraphOp> FusedRelu => _fusedRelu;

    /// <summary>
    /// Pairs a convolution with a bias, or a batch norm, and the ReLU right after it in the schedule,
    /// when the ReLU is the first output's only reader and the caller does not read that output: the
    /// pair then runs with the bias (or the normalisation) and the ReLU in one pass
    /// (<see cref="Ops.TensorOps.AddChannelBiasRelu"/>, <c>BatchNormKernels.NormalizeRelu</c>), the
    /// same bits in one launch fewer. Backward is unchanged.
    /// </summary>
    private static Dictionary<GraphOp, GraphOp> FuseRelus(List<GraphOp> forward, Node? loss, IReadOnlyList<Node> outputs)
    {
        var readers = new Dictionary<Node, int>();
        foreach (var op in forward)
            foreach (var input in op.Inputs)
                readers[input] = readers.GetValueOrDefault(input) + 1;
        var fused = new Dictionary<GraphOp, GraphOp>();
        for (int i = 0; i + 1 < forward.Count; i++)
        {
            if (forward[i] is IReluFusable { FusesRelu: true } and GraphOp producer
                && forward[i + 1] is Nodes.ActivationNode { Kind: Ops.Activation.ActivationKind.Relu } relu
                && relu.Inputs[0] == producer.Outputs[0]
                && readers.GetValueOrDefault(producer.Outputs[0]) == 1
                && producer.Outputs[0] != loss && !outputs.Contains(producer.Outputs[0]))
            {
                fused[producer] = relu;
                i++;
            }
        }
        return fused;
    }

    /// <summary>
    /// Of the pairs <see cref="FuseRelus"/> made, those whose producer takes the ReLU's backward too
    /// (<see cref="Nodes.WeightedNode.FusesReluBackward"/>: a convolution running as implicit GEMM,
    /// whose products read the ReLU output's gradient through the mask on the fly). The ReLU's
    /// backward launch is skipped and the gradient of the pre-activation is never written.
    /// </summary>
    private static Dictionary<GraphOp, GraphOp> FuseReluBackward(Dictionary<GraphOp, GraphOp> fused, List<GraphOp> backward, Devices.ComputeDevice device)
    {
        var runsBackward = backward.ToHashSet();
        return fused.Where(pair => pair.Key is Nodes.WeightedNode weighted && weighted.FusesReluBackward(device)
                && runsBackward.Contains(pair.Key) && runsBackward.Contains(pair.Value))
            .ToDictionary(pair => pair.Key, pair => pair.Value);
    }

    /// <summary>
    /// Crops whose only reader is a concatenation (U-Net's skip connections), on the kernels: the
    /// concatenation copies each crop's window from the crop's input into its channels, and writes
    /// the crop input's gradient from its own gradient, so the crop neither runs nor keeps a buffer
    /// in either pass. The same values; one copy (and one launch) fewer each way per crop. The CPU
    /// accelerator's host path keeps them apart.
    /// </summary>
    private static Dictionary<GraphOp, Dictionary<int, Nodes.CropNode>> FuseCrops(List<GraphOp> forward, Node? loss, IReadOnlyList<Node> outputs,
        Devices.ComputeDevice device)
    {
        var fused = new Dictionary<GraphOp, Dictionary<int, Nodes.CropNode>>();
        if (device.Paths.Host)
            return fused;
        var readers = new Dictionary<Node, List<GraphOp>>();
        foreach (var op in forward)
            foreach (var input in op.Inputs)
                (readers.TryGetValue(input, out var list) ? list : readers[input] = []).Add(op);
        foreach (var op in forward)
        {
            if (op is not Nodes.CropNode crop || crop.Inputs[0].Shape.Rank != 4)
                continue;
            var output = crop.Outputs[0];
            if (output == loss || outputs.Contains(output) || !readers.TryGetValue(output, out var list)
                || list.Count != 1 || list[0] is not Nodes.ConcatNode concat)
                continue;
            int index = concat.Inputs.ToList().IndexOf(output);
            if (concat.Inputs.Count(i => i == output) != 1)
                continue;
            (fused.TryGetValue(concat, out var crops) ? crops : fused[concat] = [])[index] = crop;
        }
        return fused;
    }

    /// <summary>Each concatenation that runs crops in place, with those crops by input index.</summary>
    internal IReadOnlyDictionary<GraphOp, Dictionary<int, Nodes.CropNode>> CropsIntoConcat => _cropsIntoConcat;

    /// <summary>Each op that takes the backward pass of the ReLU it runs with, mapped to that ReLU.</summary>
    internal IReadOnlyDictionary<GraphOp, GraphOp> ReluBackwardFused => _reluBackwardFused;

    /// <summary>
    /// Runs the backward pass from a scalar loss (gradient 1). Parameter gradients are added to
    /// what they hold, so they accumulate over calls until <see cref="ZeroGrad"/>.
    /// </summary>
    public void Backward()
    {
        var target = BackwardTarget();
        if (target.Shape.Numel != 1)
            throw new InvalidOperationException($"{target} is not a scalar: give its gradient with Backward(outputGradient).");
        RunBackward(null);
    }

    /// <summary>
    /// Runs the backward pass from a given gradient of the output the graph was compiled for
    /// (PyTorch's <c>y.backward(gradient)</c>); the gradient must have that output's shape.
    /// </summary>
    public void Backward(Tensor outputGradient)
    {
        var target = BackwardTarget();
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (outputGradient.Numel != target.Shape.Numel)
            throw new ArgumentException($"The output gradient has shape {outputGradient.Shape}, but {target} needs {target.Shape}.", nameof(outputGradient));
        RunBackward(outputGradient);
    }

    private Node BackwardTarget()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _loss ?? throw new InvalidOperationException("This graph was compiled for inference, so it has no backward pass.");
    }

    private void RunBackward(Tensor? seed)
    {
        if (seed is not null)
        {
            AddOp.Route(seed, _lossGrad!);
            _lossGradHoldsOne = false;
        }
        else if (!_lossGradHoldsOne)
        {
            TensorOps.Fill(_lossGrad!, 1f);
            _lossGradHoldsOne = true;
        }
        for (int i = 0; i < _backward.Count; i++)
        {
            var op = _backward[i];
            if (_reluBackwardFused.TryGetValue(op, out var relu))
                ((Nodes.WeightedNode)op).BackwardThroughRelu(_context, relu);
            else if (_cropsIntoConcat.TryGetValue(op, out var crops))
                ((Nodes.ConcatNode)op).BackwardWithCrops(_context, crops);
            else if (!_reluBackwardSkipped.Contains(op) && !_cropRunByConcat.Contains(op))
                op.Backward(_context); // a fused ReLU's backward runs inside its producer's, a fused crop's inside its concatenation's
            GradientsFinal?.Invoke(_finalAfter[i]);
        }
    }

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters.Where(p => p.RequiresGrad))
            TensorOps.Fill(p.Grad, 0f);
    }

    /// <summary>Frees the planned buffers (parameters belong to their modules and stay).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var t in _owned)
            t.Dispose();
        _context.DisposeConstants();
    }

    /// <summary>Nodes that receive a gradient: those that require one and lead to the loss.</summary>
    private static HashSet<Node> GradientNodes(GraphBuilder graph, Node loss)
    {
        var leadsToLoss = new HashSet<Node> { loss };
        foreach (var op in graph.Ops.Reverse())
        {
            if (op.IsDifferentiable && op.Outputs.Any(leadsToLoss.Contains))
            {
                foreach (var input in op.Inputs)
                    leadsToLoss.Add(input);
            }
        }
        return leadsToLoss.Where(n => n.RequiresGrad).ToHashSet();
    }

    private static MemoryPlan BuildPlan(GraphBuilder graph, Node? loss, IReadOnlyList<Node> outputs, List<GraphOp> forward, List<GraphOp> backward,
        HashSet<Node> needsGrad, IReadOnlyDictionary<GraphOp, GraphOp> fusedRelu, IReadOnlyDictionary<GraphOp, GraphOp> reluBackwardFused,
        IReadOnlyDictionary<GraphOp, Dictionary<int, Nodes.CropNode>> cropsIntoConcat, bool reuse,
        out Dictionary<Node, MemoryPlan.Value> valueOf, out Dictionary<Node, MemoryPlan.Value> gradOf)
    {
        int f = forward.Count;
        int end = 2 * f + 1;
        var forwardTime = forward.Select((op, i) => (op, i)).ToDictionary(p => p.op, p => p.i);
        // A fused ReLU's output is written by its producer, one step early, while the producer still
        // reads its inputs and its statistics: it is born then, so it never shares their buffers.
        var writtenAt = forward.ToDictionary(op => op, op => forwardTime[op]);
        foreach (var (producer, relu) in fusedRelu)
            writtenAt[relu] = forwardTime[producer];
        var backwardTime = backward.ToDictionary(op => op, op => 2 * f - forwardTime[op]);
        var death = graph.Nodes.ToDictionary(n => n, n => n.Producer is null ? 0 : forwardTime[n.Producer]);
        foreach (var op in forward)
        {
            foreach (var input in op.Inputs)
                death[input] = Math.Max(death[input], forwardTime[op]);
            if (backwardTime.TryGetValue(op, out int bt))
            {
                foreach (var saved in op.SavedForBackward)
                    death[saved] = Math.Max(death[saved], bt);
            }
        }
        foreach (var node in outputs.Concat(graph.Inputs))
            death[node] = end; // read by the caller after a run, or written by it before one
        // A producer that takes its ReLU's backward reads its own output (the mask) and the ReLU
        // output's gradient in its own backward turn, after the ReLU's; the pre-activation's gradient
        // is never written.
        var unwrittenGrads = new HashSet<Node>();
        var gradReadLater = new Dictionary<Node, int>();
        foreach (var (producer, relu) in reluBackwardFused)
        {
            death[producer.Outputs[0]] = Math.Max(death[producer.Outputs[0]], backwardTime[producer]);
            unwrittenGrads.Add(producer.Outputs[0]);
            gradReadLater[relu.Outputs[0]] = backwardTime[producer];
        }
        // A concatenation that runs a crop reads the crop's input in its forward turn and writes
        // that input's gradient in its backward turn; the crop's own gradient is never written.
        var laterWriters = new Dictionary<Node, List<int>>();
        foreach (var (concat, crops) in cropsIntoConcat)
        {
            foreach (var crop in crops.Values)
            {
                var source = crop.Inputs[0];
                death[source] = Math.Max(death[source], forwardTime[concat]);
                unwrittenGrads.Add(crop.Outputs[0]);
                if (backwardTime.TryGetValue(concat, out int bt))
                    (laterWriters.TryGetValue(source, out var times) ? times : laterWriters[source] = []).Add(bt);
            }
        }

        valueOf = new Dictionary<Node, MemoryPlan.Value>();
        gradOf = new Dictionary<Node, MemoryPlan.Value>();
        var values = new List<MemoryPlan.Value>();
        foreach (var node in graph.Nodes)
        {
            int birth = node.Producer is null ? -1 : writtenAt[node.Producer];
            var value = new MemoryPlan.Value(node.Name, node.Shape.Numel, node.Kind, birth, death[node]);
            valueOf[node] = value;
            values.Add(value);
        }
        foreach (var node in graph.Nodes.Where(n => needsGrad.Contains(n) && !unwrittenGrads.Contains(n) && n != loss))
        {
            // Written first by the consumer whose backward runs first, read by the producer's backward.
            var writers = backward.Where(op => op.Inputs.Contains(node)).Select(op => backwardTime[op])
                .Concat(laterWriters.GetValueOrDefault(node) ?? []).ToList();
            int birth = node == loss ? f : writers.Count == 0 ? f : writers.Min();
            int gradDeath = node.Producer is not null && backwardTime.TryGetValue(node.Producer, out int pt) ? pt : end;
            if (gradReadLater.TryGetValue(node, out int readAt))
                gradDeath = Math.Max(gradDeath, readAt);
            var value = new MemoryPlan.Value("grad of " + node.Name, node.Shape.Numel, ValueKind.Float, birth, gradDeath);
            gradOf[node] = value;
            values.Add(value);
        }
        return MemoryPlan.Create(values, reuse);
    }

    private void Materialize(Dictionary<Node, MemoryPlan.Value> valueOf, Dictionary<Node, MemoryPlan.Value> gradOf)
    {
        var device = Graph.Device;
        var floatSlots = new Dictionary<int, Tensor>();
        var intSlots = new Dictionary<int, IntTensor>();
        for (int s = 0; s < Plan.Slots.Count; s++)
        {
            var slot = Plan.Slots[s];
            if (slot.Kind == ValueKind.Float)
                floatSlots[s] = Own(Tensor.Zeros(device, new Shape(checked((int)slot.Capacity))));
            else
                intSlots[s] = Own(IntTensor.Zeros(device, checked((int)slot.Capacity)));
        }
        foreach (var (node, value) in valueOf)
        {
            if (node.Kind == ValueKind.Float)
                _context.SetValue(node, Own(floatSlots[value.Slot].Slice(node.Shape)));
            else
                _context.SetIntValue(node, Own(intSlots[value.Slot].Slice(node.Shape)));
        }
        foreach (var (node, value) in gradOf)
            _context.SetGrad(node, Own(floatSlots[value.Slot].Slice(node.Shape)));
    }

    /// <summary>Every gradient write after the first (in backward order) to the same node adds.</summary>
    private void MarkAccumulation(HashSet<Node> needsGrad)
    {
        var written = new HashSet<Node>();
        if (_loss is not null)
            written.Add(_loss);
        foreach (var op in _backward)
        {
            if (_cropRunByConcat.Contains(op))
                continue; // its concatenation writes its input's gradient
            var crops = _cropsIntoConcat.GetValueOrDefault(op);
            for (int i = 0; i < op.Inputs.Count; i++)
            {
                // A fused crop's slot writes the crop input's gradient.
                var input = crops is not null && crops.TryGetValue(i, out var crop) ? crop.Inputs[0] : op.Inputs[i];
                if (!needsGrad.Contains(input))
                    continue;
                if (!written.Add(input))
                    _context.MarkAccumulating(op, i);
            }
        }
    }

    private T Own<T>(T tensor) where T : DeviceTensor
    {
        tensor.DetachFromScope();
        _owned.Add(tensor);
        return tensor;
    }
}
