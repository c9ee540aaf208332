namespace Engine.Training;

/// <summary>
/// Hooks into a <see cref="Trainer"/>'s run (as Keras's and Lightning's callbacks): override what you
/// need. Every rank of a data-parallel run calls its callbacks alike. Steps are reported in order
/// but in groups: the loop reads the losses from the device every few steps, not after each.
/// </summary>
public abstract class TrainingCallback
{
    /// <summary>The run is prepared (checked, initialised or resumed, compiled) and its first step is next.</summary>
    public virtual void OnTrainBegin(TrainingSession session)
    {
    }

    /// <summary>An epoch begins (or, resumed, continues).</summary>
    public virtual void OnEpochBegin(EpochStart epoch)
    {
    }

    /// <summary>A step's loss has been read back.</summary>
    public virtual void OnStepEnd(StepEnd step)
    {
    }

    /// <summary>An epoch ended and was evaluated, before its checkpoint is committed; may ask the run to stop (<see cref="EpochEnd.RequestStop"/>).</summary>
    public virtual void OnEpochEnd(EpochEnd epoch)
    {
    }

    /// <summary>A checkpoint was committed into the run folder (and its logs written).</summary>
    public virtual void OnCheckpoint(CheckpointCommitted checkpoint)
    {
    }

    /// <summary>The run ended: all epochs done, stopped early, or cancelled at a committed checkpoint.</summary>
    public virtual void OnTrainEnd(TrainingResult result)
    {
    }
}
