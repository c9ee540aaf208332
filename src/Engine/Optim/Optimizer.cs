using Engine.Devices;
using Engine.Graph;
using Engine.Kernels.Optim;
using Engine.Ops;
using Engine.Ops.Reduction;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Optim;

/// <summary>
/// Base of the optimisers: a list of parameters, a learning rate (which schedules change), the
/// step count, and optional global-norm gradient clipping done on the device. Updates are device
/// kernels; a step copies nothing to or from the host. Parameters lying side by side in memory (a
/// module's flat buffers, see <c>Module.Initialize</c>) form runs that one launch updates (and one
/// fill zeroes), so a whole model takes one launch per step rather than one per tensor; the
/// optimiser's own state is flat in the same order.
/// </summary>
public abstract class Optimizer : IDisposable
{
    // [scale, halted]: the gradient scale every update multiplies by, and the step guard's halt.
    private readonly Tensor _gradScale;
    private readonly IntTensor _haltedAt;
    private readonly Tensor _haltFlag;
    private readonly Tensor _norm;
    private bool _clipping;

    /// <summary>Creates the optimiser over trainable parameters (frozen ones are skipped).</summary>
    protected Optimizer(IEnumerable<Parameter> parameters, float learningRate)
        : this([new ParameterGroup(parameters.ToList())], learningRate) { }

    /// <summary>
    /// Creates the optimiser over parameter groups, in order (a parameter's index in the saved state
    /// counts through the groups, as in PyTorch); frozen parameters are skipped.
    /// </summary>
    /// <exception cref="ArgumentException">No trainable parameter, a parameter in two groups, or a group's rate or decay negative or not finite.</exception>
    protected Optimizer(IEnumerable<ParameterGroup> groups, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Groups = groups.Select(g => g with { Parameters = g.Parameters.Where(p => p.RequiresGrad).Distinct().ToList() }).ToList();
        for (int i = 0; i < Groups.Count; i++)
        {
            if (Groups[i] is { LearningRate: float r } && !(r >= 0 && float.IsFinite(r)) || Groups[i] is { WeightDecay: float d } && !(d >= 0 && float.IsFinite(d)))
                throw new ArgumentException($"Parameter group {i}: its learning rate ({Groups[i].LearningRate}) and weight decay ({Groups[i].WeightDecay}) must be finite and at least 0.", nameof(groups));
        }
        Parameters = Groups.SelectMany(g => g.Parameters).ToList();
        if (Parameters.Distinct().Count() != Parameters.Count)
            throw new ArgumentException("Some parameters appear in more than one parameter group.", nameof(groups));
        if (Parameters.Count == 0)
            throw new ArgumentException("The optimiser has no trainable parameters.", nameof(groups));
        if (!(learningRate >= 0))
            throw new ArgumentException($"Learning rate must be non-negative, got {learningRate}.", nameof(learningRate));
        LearningRate = learningRate;
        BaseLearningRate = learningRate;
        Device = Parameters[0].Value.Device;
        var groupOf = Groups.SelectMany((g, i) => g.Parameters.Select(_ => i)).ToArray();
        Runs = FindRuns(Parameters, groupOf);
        MemoryRuns = Groups.Count == 1 ? Runs : FindRuns(InMemoryOrder(Parameters), new int[Parameters.Count]);
        _stateOffsets = new long[Parameters.Count];
        foreach (var run in Runs)
        {
            long offset = run.Offset;
            for (int i = run.First; i < run.First + run.Count; i++)
            {
                _stateOffsets[i] = offset;
                offset += Parameters[i].Shape.Numel;
            }
        }
        StateLength = Runs.Sum(r => (long)r.Length);
        _gradScale = Tensor.FromArray(Device, [1f, 0f], 2);
        _gradScale.DetachFromScope();
        _haltedAt = IntTensor.FromArray(Device, [-1], 1);
        _haltedAt.DetachFromScope();
        _haltFlag = _gradScale.Slice(new Shape(), 1);
        _haltFlag.DetachFromScope();
        _norm = Tensor.Zeros(Device, new Shape());
        _norm.DetachFromScope();
    }

    private readonly long[] _stateOffsets;

    /// <summary>The parameter groups (one holding every parameter unless groups were given).</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>The learning rate a run's group takes this step: the optimiser's, scaled by the group's own rate over the base rate.</summary>
    private protected float RateOf(ParameterRun run) => Groups[run.Group].LearningRate is float own
        ? (BaseLearningRate > 0 ? LearningRate * (own / BaseLearningRate) : own)
        : LearningRate;

    /// <summary>The weight decay of a run's group: its own, or the optimiser's <paramref name="optimizerDecay"/>.</summary>
    private protected float DecayOf(ParameterRun run, float optimizerDecay) => Groups[run.Group].WeightDecay ?? optimizerDecay;

    /// <summary>The runs of side-by-side parameters of one group, in order; each is updated by one launch (with its group's rate and decay).</summary>
    internal IReadOnlyList<ParameterRun> Runs { get; }

    /// <summary>
    /// The runs of side-by-side parameters whatever their groups, in memory order: what zeroing, the
    /// step guard and clipping go over, one launch each (their offsets index scratch buffers only).
    /// </summary>
    internal IReadOnlyList<ParameterRun> MemoryRuns { get; }

    /// <summary>Elements of one flat state tensor (every parameter's elements).</summary>
    private protected long StateLength { get; }

    /// <summary>The parameters updated.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The device.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The learning rate of the next step (schedules set it).</summary>
    public float LearningRate { get; set; }

    /// <summary>The learning rate the optimiser was created with.</summary>
    public float BaseLearningRate { get; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; protected set; }

    /// <summary>When set, gradients are scaled so their global L2 norm is at most this (on the device).</summary>
    public float? MaxGradNorm { get; set; }

    /// <summary>The global gradient norm measured by the last clipped step (a device scalar; read it to see it).</summary>
    public Tensor LastGradNorm => _norm;

    /// <summary>The device pair every update reads: the scale it multiplies gradients by (1, or the clipping factor) and the step guard's halt (updates do nothing while it is not 0).</summary>
    protected Tensor GradScale => _gradScale;

    /// <summary>
    /// The step guard, on the device: when <paramref name="loss"/> (a device scalar) or any gradient
    /// is not finite, raises a halt that makes this and every later <see cref="Step"/> leave the
    /// weights and the optimiser's state alone, and records <paramref name="step"/>; nothing is read
    /// back, so a training loop can check <see cref="HaltedStep"/> only when it next synchronises
    /// (every few steps) and still stop before a bad update spreads. Call it after the backward pass
    /// and before <see cref="Step"/>.
    /// </summary>
    public void GuardFinite(Tensor loss, int step)
    {
        ArgumentNullException.ThrowIfNull(loss);
        using var zeros = Tensor.Empty(Device, Check.LaunchSize("GuardFinite", StateLength));
        foreach (var run in MemoryRuns)
            Device.Kernel(OptimizerLoaders.TimesZero)(run.Length, run.Grads, zeros.View.SubView(run.Offset, run.Length));
        using var finiteness = FullSum.Of(zeros);
        Device.Kernel(OptimizerLoaders.GuardFinite)(1, loss.View, finiteness.View, _gradScale.View, _haltedAt.View, step);
    }

    /// <summary>Device bytes <see cref="GuardFinite"/> allocates for a while over <paramref name="parameters"/> values: its scratch, the sum's partials and the sum.</summary>
    public static long StepGuardWorkspace(long parameters) => 4 * parameters + Ops.Reduction.FullSum.Workspace(parameters) + 4;

    /// <summary>The step guard's halt flag as a device scalar (0 while updates run), to read back with other values in one copy.</summary>
    public Tensor HaltFlag => _haltFlag;

    /// <summary>The step at which <see cref="GuardFinite"/> halted the updates, or null (reads the device).</summary>
    public int? HaltedStep()
    {
        int step = _haltedAt.ToArray()[0];
        return step < 0 ? null : step;
    }

    /// <summary>Applies one update to every parameter from its accumulated gradient.</summary>
    public void Step()
    {
        if (MaxGradNorm is float maxNorm)
        {
            ComputeClipScale(maxNorm);
            _clipping = true;
        }
        else if (_clipping)
        {
            TensorOps.Fill(Device, _gradScale.View, 1, 1f); // clipping was switched off: back to unscaled gradients
            _clipping = false;
        }
        StepCount++;
        foreach (var run in Runs)
            Update(run);
    }

    /// <summary>Restores the step count and learning rate of a saved run (with its state tensors already loaded).</summary>
    public void Restore(long stepCount, float learningRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        StepCount = stepCount;
        LearningRate = learningRate;
    }

    /// <summary>Sets every parameter gradient to zero (one fill per run).</summary>
    public void ZeroGrad()
    {
        foreach (var run in MemoryRuns)
            TensorOps.Fill(Device, run.Grads, run.Length, 0f);
    }

    /// <summary>Updates a run of parameters; <see cref="StepCount"/> already counts this step.</summary>
    private protected abstract void Update(ParameterRun run);

    /// <summary>Per-parameter state tensors by name (for checkpoints): <c>(parameter index, name, tensor)</c>.</summary>
    public abstract IEnumerable<(int Parameter, string Name, Tensor State)> State();

    /// <summary>A zero state tensor for every parameter, flat in the optimiser's order (<see cref="StateSlice"/> gives one parameter's part).</summary>
    private protected Tensor FlatState()
    {
        var t = Tensor.Zeros(Device, new Shape(Check.LaunchSize("optimizer state", StateLength)));
        t.DetachFromScope();
        return t;
    }

    /// <summary>Parameter <paramref name="index"/>'s part of a <see cref="FlatState"/> tensor, shaped like it (a view the caller disposes).</summary>
    private protected Tensor StateSlice(Tensor flat, int index)
    {
        var t = flat.Slice(Parameters[index].Shape, _stateOffsets[index]);
        t.DetachFromScope();
        return t;
    }

    // The parameters reordered so that each one's successor in memory (values and gradients) comes next.
    private static List<Parameter> InMemoryOrder(IReadOnlyList<Parameter> parameters)
    {
        int n = parameters.Count;
        var next = new int[n];
        Array.Fill(next, -1);
        var follows = new bool[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i != j && !follows[j] && parameters[j].Value.Follows(parameters[i].Value) && parameters[j].Grad.Follows(parameters[i].Grad))
                {
                    next[i] = j;
                    follows[j] = true;
                    break;
                }
            }
        }
        var ordered = new List<Parameter>(n);
        for (int i = 0; i < n; i++)
        {
            if (!follows[i])
            {
                for (int k = i; k >= 0; k = next[k])
                    ordered.Add(parameters[k]);
            }
        }
        return ordered;
    }

    // Consecutive parameters of one group whose values and gradients each follow the previous one's in memory.
    private static List<ParameterRun> FindRuns(IReadOnlyList<Parameter> parameters, int[] groupOf)
    {
        var runs = new List<ParameterRun>();
        int first = 0;
        long offset = 0;
        for (int i = 1; i <= parameters.Count; i++)
        {
            long length = 0;
            for (int j = first; j < i; j++)
                length += parameters[j].Shape.Numel;
            bool extends = i < parameters.Count && groupOf[i] == groupOf[i - 1]
                && parameters[i].Value.Follows(parameters[i - 1].Value) && parameters[i].Grad.Follows(parameters[i - 1].Grad)
                && length + parameters[i].Shape.Numel <= int.MaxValue;
            if (extends)
                continue;
            var head = parameters[first];
            runs.Add(new ParameterRun(first, i - first, offset, (int)length, head.Value.ViewSpanning(length), head.Grad.ViewSpanning(length), groupOf[first]));
            offset += length;
            first = i;
        }
        return runs;
    }

    private void ComputeClipScale(float maxNorm)
    {
        using var sum = SquaredGradientSum();
        Device.Kernel(OptimizerLoaders.ClipScale)(1, sum.View, _gradScale.View, _norm.View, maxNorm);
    }

    /// <summary>
    /// The sum of the squares of every gradient element, on the host: finite exactly when every
    /// gradient is (a NaN or infinity anywhere makes it non-finite), so a trainer can stop on a
    /// bad gradient before the update spreads it into the weights. The sum runs in a fixed order.
    /// </summary>
    public float GradientSquaredNorm()
    {
        using var sum = SquaredGradientSum();
        return sum.ToArray()[0];
    }

    private Tensor SquaredGradientSum()
    {
        using var squares = Tensor.Empty(Device, Check.LaunchSize("clip_grad_norm", StateLength));
        foreach (var run in MemoryRuns)
            Device.Kernel(OptimizerLoaders.Square)(run.Length, run.Grads, squares.View.SubView(run.Offset, run.Length));
        return FullSum.Of(squares);
    }

    /// <summary>Frees the optimiser's state.</summary>
    public virtual void Dispose()
    {
        _gradScale.Dispose();
        _haltedAt.Dispose();
        _haltFlag.Dispose();
        _norm.Dispose();
        GC.SuppressFinalize(this);
    }
}
