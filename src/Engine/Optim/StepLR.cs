namespace Engine.Optim;

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
