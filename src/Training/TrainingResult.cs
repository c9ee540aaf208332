namespace Engine.Training;

/// <summary>How a training run ended.</summary>
/// <param name="Evaluation">The last evaluation (null when cancelled before the first).</param>
/// <param name="Interrupted">True when cancellation stopped it (after a committed checkpoint, with a run folder).</param>
/// <param name="StoppedEarly">True when a callback (<see cref="EarlyStopping"/>) stopped it after an epoch.</param>
/// <param name="Checkpoint">Where the run stands: what its last checkpoint records (with a run folder, the committed one).</param>
public sealed record TrainingResult(Evaluation? Evaluation, bool Interrupted, bool StoppedEarly, CheckpointInfo Checkpoint)
{
    /// <summary>
    /// The epoch whose weights <see cref="TrainingOptions.RestoreBestWeights"/> put back into the
    /// model (then <see cref="Evaluation"/> is theirs), or null when the model holds the last epoch's.
    /// </summary>
    public int? RestoredEpoch { get; init; }
}
