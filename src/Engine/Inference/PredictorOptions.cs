namespace Engine.Inference;

/// <summary>How a <see cref="Predictor"/> batches requests and how many compiled plans it keeps.</summary>
public sealed record PredictorOptions
{
    /// <summary>
    /// Most images one run of the model takes (default 64): a request of more runs in parts of this
    /// size, so the device memory of a predictor is that of one such batch, whatever callers send.
    /// </summary>
    public int MaxBatchSize { get; init; } = 64;

    /// <summary>
    /// Most compiled plans kept (default 8), least recently used dropped first. A plan is compiled
    /// for each batch size bucket (1, 2, 4, ... up to <see cref="MaxBatchSize"/>) and image shape
    /// met, so 8 cover every bucket of a batch limit of 64 for one image shape.
    /// </summary>
    public int MaxCachedPlans { get; init; } = 8;

    /// <summary>
    /// Whether requests waiting for the device together run as one batch (default true), as a
    /// serving system's dynamic batcher does: under concurrent callers the device runs fewer,
    /// larger batches. Each image's outputs do not depend on the other images of its batch (the
    /// model runs in evaluation mode).
    /// </summary>
    public bool CombineRequests { get; init; } = true;

    /// <summary>Whether disposing the predictor disposes the model too (default false: the caller owns it).</summary>
    public bool OwnsModel { get; init; }

    /// <summary>Checks every value and names the first out of range.</summary>
    /// <exception cref="ArgumentException">A value out of range, named with the value.</exception>
    public void Validate()
    {
        if (MaxBatchSize <= 0)
            throw new ArgumentException($"PredictorOptions.MaxBatchSize must be positive, got {MaxBatchSize}.");
        if (MaxCachedPlans <= 0)
            throw new ArgumentException($"PredictorOptions.MaxCachedPlans must be positive, got {MaxCachedPlans}.");
    }
}
