namespace Engine.Training;

/// <summary>An epoch trained and evaluated; its checkpoint is committed after the callbacks.</summary>
public sealed class EpochEnd
{
    internal EpochEnd(EpochRecord record, Evaluation evaluation, bool isBest, CheckpointInfo state)
    {
        Record = record;
        Evaluation = evaluation;
        IsBest = isBest;
        State = state;
    }

    /// <summary>Its line of the epoch log.</summary>
    public EpochRecord Record { get; }

    /// <summary>The evaluation on the test set after it.</summary>
    public Evaluation Evaluation { get; }

    /// <summary>Whether its metric is the best so far (it becomes the best checkpoint).</summary>
    public bool IsBest { get; }

    /// <summary>The run's state after it, its log included.</summary>
    public CheckpointInfo State { get; }

    /// <summary>Whether a callback asked the run to stop after this epoch.</summary>
    public bool StopRequested { get; private set; }

    /// <summary>Stops the run after this epoch's checkpoint (early stopping); the result says it stopped early.</summary>
    public void RequestStop() => StopRequested = true;
}
