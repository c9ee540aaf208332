namespace Engine.Optim;

/// <summary>
/// A learning-rate schedule: <see cref="Step"/> after each epoch (or iteration) sets the
/// optimiser's learning rate from the count of steps taken, as PyTorch's schedulers do.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Attaches to an optimiser and sets its rate for step 0.</summary>
    protected LearningRateSchedule(Optimizer optimizer)
    {
        Optimizer = optimizer;
    }

    /// <summary>The optimiser whose rate is set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Schedule steps taken.</summary>
    public int Steps { get; private set; }

    /// <summary>The learning rate at schedule step <paramref name="step"/>.</summary>
    public abstract float RateAt(int step);

    /// <summary>Advances one step and sets the optimiser's learning rate.</summary>
    public void Step()
    {
        Steps++;
        Optimizer.LearningRate = RateAt(Steps);
    }

    /// <summary>Sets the rate for the current step (after construction or when resuming).</summary>
    public void Apply() => Optimizer.LearningRate = RateAt(Steps);

    /// <summary>Resumes at a given step.</summary>
    public void Resume(int steps)
    {
        Steps = steps;
        Apply();
    }
}

/// <summary><c>StepLR</c>: multiply by gamma every <c>stepSize</c> steps.</summary>
public sealed class StepLR : LearningRateSchedule
{
    private readonly int _stepSize;
    private readonly float _gamma;

    /// <summary>Creates the schedule.</summary>
    public StepLR(Optimizer optimizer, int stepSize, float gamma = 0.1f) : base(optimizer)
    {
        if (stepSize <= 0)
            throw new ArgumentException($"StepLR: step size must be positive, got {stepSize}.", nameof(stepSize));
        _stepSize = stepSize;
        _gamma = gamma;
        Apply();
    }

    /// <inheritdoc/>
    public override float RateAt(int step) => Optimizer.BaseLearningRate * MathF.Pow(_gamma, step / _stepSize);
}

/// <summary><c>CosineAnnealingLR</c>: <c>min + (base - min)(1 + cos(pi t / T)) / 2</c>, held at min after T.</summary>
public sealed class CosineAnnealingLR : LearningRateSchedule
{
    private readonly int _total;
    private readonly float _min;

    /// <summary>Creates the schedule over <paramref name="totalSteps"/> steps.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int totalSteps, float minimumRate = 0f) : base(optimizer)
    {
        if (totalSteps <= 0)
            throw new ArgumentException($"CosineAnnealingLR: total steps must be positive, got {totalSteps}.", nameof(totalSteps));
        _total = totalSteps;
        _min = minimumRate;
        Apply();
    }

    /// <inheritdoc/>
    public override float RateAt(int step)
    {
        int t = Math.Min(step, _total);
        return _min + (Optimizer.BaseLearningRate - _min) * (1 + MathF.Cos(MathF.PI * t / _total)) / 2;
    }
}

/// <summary>Linear warm-up from <c>base / warmup</c> to base over the first steps, then another schedule's rate (or base).</summary>
public sealed class LinearWarmup : LearningRateSchedule
{
    private readonly int _warmup;
    private readonly Func<int, float>? _after;

    /// <summary>Creates the schedule; <paramref name="after"/> gives the rate at step s - warmup afterwards.</summary>
    public LinearWarmup(Optimizer optimizer, int warmupSteps, Func<int, float>? after = null) : base(optimizer)
    {
        if (warmupSteps <= 0)
            throw new ArgumentException($"LinearWarmup: warm-up steps must be positive, got {warmupSteps}.", nameof(warmupSteps));
        _warmup = warmupSteps;
        _after = after;
        Apply();
    }

    /// <inheritdoc/>
    public override float RateAt(int step) => step < _warmup
        ? Optimizer.BaseLearningRate * (step + 1) / _warmup
        : _after?.Invoke(step - _warmup) ?? Optimizer.BaseLearningRate;
}
