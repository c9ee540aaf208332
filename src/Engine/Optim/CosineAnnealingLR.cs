namespace Engine.Optim;

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
