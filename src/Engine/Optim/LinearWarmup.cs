namespace Engine.Optim;

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
