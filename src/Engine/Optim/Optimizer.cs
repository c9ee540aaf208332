using Engine.Devices;
using Engine.Graph;
using Engine.Kernels.Optim;
using Engine.Ops;
using Engine.Ops.Reduction;
using Engine.Tensors;
using ILGPU;
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
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<float>>> SquareLoader =
        new("Optim.Square", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<float>>(acc, OptimizerKernels.Square));
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float>> ClipLoader =
        new("Optim.ClipScale", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, float>(acc, OptimizerKernels.ClipScale));

    private readonly Tensor _gradScale;
    private readonly Tensor _norm;
    private bool _clipping;

    /// <summary>Creates the optimiser over trainable parameters (frozen ones are skipped).</summary>
    protected Optimizer(IEnumerable<Parameter> parameters, float learningRate)
    {
        Parameters = parameters.Where(p => p.RequiresGrad).Distinct().ToList();
        if (Parameters.Count == 0)
            throw new ArgumentException("The optimiser has no trainable parameters.", nameof(parameters));
        if (!(learningRate >= 0))
            throw new ArgumentException($"Learning rate must be non-negative, got {learningRate}.", nameof(learningRate));
        LearningRate = learningRate;
        BaseLearningRate = learningRate;
        Device = Parameters[0].Value.Device;
        Runs = FindRuns(Parameters);
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
        _gradScale = Tensor.Full(Device, 1f, new Shape());
        _gradScale.DetachFromScope();
        _norm = Tensor.Zeros(Device, new Shape());
        _norm.DetachFromScope();
    }

    private readonly long[] _stateOffsets;

    /// <summary>The runs of side-by-side parameters, in order; each is updated by one launch.</summary>
    internal IReadOnlyList<ParameterRun> Runs { get; }

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

    /// <summary>The device scalar each update multiplies gradients by (1, or the clipping factor).</summary>
    protected Tensor GradScale => _gradScale;

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
            TensorOps.Fill(_gradScale, 1f); // clipping was switched off: back to unscaled gradients
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
        foreach (var run in Runs)
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

    // Consecutive parameters whose values and gradients each follow the previous one's in memory.
    private static List<ParameterRun> FindRuns(IReadOnlyList<Parameter> parameters)
    {
        var runs = new List<ParameterRun>();
        int first = 0;
        long offset = 0;
        for (int i = 1; i <= parameters.Count; i++)
        {
            long length = 0;
            for (int j = first; j < i; j++)
                length += parameters[j].Shape.Numel;
            bool extends = i < parameters.Count
                && parameters[i].Value.Follows(parameters[i - 1].Value) && parameters[i].Grad.Follows(parameters[i - 1].Grad)
                && length + parameters[i].Shape.Numel <= int.MaxValue;
            if (extends)
                continue;
            var head = parameters[first];
            runs.Add(new ParameterRun(first, i - first, offset, (int)length, head.Value.ViewSpanning(length), head.Grad.ViewSpanning(length)));
            offset += length;
            first = i;
        }
        return runs;
    }

    private void ComputeClipScale(float maxNorm)
    {
        using var sum = SquaredGradientSum();
        Device.Kernel(ClipLoader)(1, sum.View, _gradScale.View, _norm.View, maxNorm);
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
        foreach (var run in Runs)
            Device.Kernel(SquareLoader)(run.Length, run.Grads, squares.View.SubView(run.Offset, run.Length));
        return FullSum.Of(squares);
    }

    /// <summary>Frees the optimiser's state.</summary>
    public virtual void Dispose()
    {
        _gradScale.Dispose();
        _norm.Dispose();
        GC.SuppressFinalize(this);
    }
}
