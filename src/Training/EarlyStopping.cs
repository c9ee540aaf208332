namespace Engine.Training;

/// <summary>
/// Stops a run when the test metric has not improved for <see cref="Patience"/> epochs, as Keras's
/// and Lightning's <c>EarlyStopping</c> (an improvement beats the best so far by more than
/// <see cref="MinDelta"/>, in the metric's direction). It decides from the run's epoch log alone,
/// which the checkpoint holds, so a resumed run stops where an uninterrupted one would.
/// </summary>
public sealed class EarlyStopping : TrainingCallback
{
    /// <summary>Stops after <paramref name="patience"/> epochs without an improvement of more than <paramref name="minDelta"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A patience below 1 or a negative or non-finite delta.</exception>
    public EarlyStopping(int patience, double minDelta = 0)
    {
        if (patience < 1)
            throw new ArgumentOutOfRangeException(nameof(patience), patience, "EarlyStopping's patience must be at least 1 epoch.");
        if (!(minDelta >= 0 && double.IsFinite(minDelta)))
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "EarlyStopping's minDelta must be a finite number of at least 0.");
        Patience = patience;
        MinDelta = minDelta;
    }

    /// <summary>Epochs without improvement before the stop.</summary>
    public int Patience { get; }

    /// <summary>Least change of the metric that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Epochs since the last improvement, from a run's epoch log.</summary>
    public int EpochsWithoutImprovement(CheckpointInfo state)
    {
        ArgumentNullException.ThrowIfNull(state);
        double best = double.NaN;
        int since = 0;
        foreach (var epoch in state.EpochLog)
        {
            bool improved = double.IsNaN(best) || (state.HigherIsBetter ? epoch.Metric > best + MinDelta : epoch.Metric < best - MinDelta);
            if (improved)
            {
                best = epoch.Metric;
                since = 0;
            }
            else
            {
                since++;
            }
        }
        return since;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochEnd epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        if (EpochsWithoutImprovement(epoch.State) >= Patience)
            epoch.RequestStop();
    }
}
