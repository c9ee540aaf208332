namespace Engine.Cli.Training;

/// <summary>How a training run ended.</summary>
/// <param name="Evaluation">The last evaluation (null when interrupted before the first).</param>
/// <param name="Interrupted">True when a signal stopped it after a committed checkpoint.</param>
/// <param name="Checkpoint">What the last committed checkpoint records.</param>
internal sealed record TrainingResult(Evaluation? Evaluation, bool Interrupted, CheckpointInfo Checkpoint);
