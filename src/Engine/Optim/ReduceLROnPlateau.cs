namespace Engine.Optim;

/// <summary>Whether a lower or a higher metric is better, for <see cref="ReduceLROnPlateau"/>.</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (a loss).</summary>
    Min,
    /// <summary>Higher is better (an accuracy).</summary>
    Max,
}

/// <summary>
/// What <see cref="ReduceLROnPlateau"/> carries between epochs, to save with a checkpoint and resume.
/// </summary>
/// <param name="Best">The best metric so far (PyTorch's <c>best</c>; infinite before the first).</param>
/// <param name="BadEpochs">Epochs since it improved (<c>num_bad_epochs</c>).</param>
/// <param name="CooldownCounter">Epochs of cooldown left (<c>cooldown_counter</c>).</param>
/// <param name="Epochs">Metrics seen (<c>last_epoch</c>).</param>
/// <param name="LearningRate">The optimiser's rate it left.</param>
public sealed record PlateauState(double Best, int BadEpochs, int CooldownCounter, int Epochs, float LearningRate);

/// <summary>
/// <c>torch.optim.lr_scheduler.ReduceLROnPlateau</c> with PyTorch's defaults: after each epoch,
/// <see cref="Step"/> with the metric; when it has not improved (relative threshold by default:
/// better means below <c>best (1 - threshold)</c> in min mode, above <c>best (1 + threshold)</c> in max
/// mode) for more than <c>patience</c> epochs, the rate becomes <c>max(rate factor, minimumRate)</c>
/// (unless that changes it by no more than <c>eps</c>), then <c>cooldown</c> epochs pass before bad
/// epochs count again.
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly float _factor, _minimumRate, _eps;
    private readonly double _threshold;
    private readonly int _patience, _cooldown;
    private readonly bool _relative;

    /// <summary>Creates the scheduler; the optimiser keeps its current rate until a plateau.</summary>
    public ReduceLROnPlateau(Optimizer optimizer, PlateauMode mode = PlateauMode.Min, float factor = 0.1f, int patience = 10, double threshold = 1e-4,
        bool relativeThreshold = true, int cooldown = 0, float minimumRate = 0f, float eps = 1e-8f)
    {
        if (!(factor >= 0 && factor < 1))
            throw new ArgumentException($"ReduceLROnPlateau: the factor must be in [0, 1), got {factor}.", nameof(factor));
        if (patience < 0 || cooldown < 0)
            throw new ArgumentException($"ReduceLROnPlateau: patience {patience} and cooldown {cooldown} must be at least 0.");
        if (!(threshold >= 0) || !double.IsFinite(threshold) || !(minimumRate >= 0) || !(eps >= 0))
            throw new ArgumentException($"ReduceLROnPlateau: threshold {threshold}, minimum rate {minimumRate} and eps {eps} must be finite and at least 0.");
        Optimizer = optimizer;
        Mode = mode;
        _factor = factor;
        _patience = patience;
        _threshold = threshold;
        _relative = relativeThreshold;
        _cooldown = cooldown;
        _minimumRate = minimumRate;
        _eps = eps;
        State = new PlateauState(mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity, 0, 0, 0, optimizer.LearningRate);
    }

    /// <summary>The optimiser whose rate is reduced.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Whether lower or higher metrics are better.</summary>
    public PlateauMode Mode { get; }

    /// <summary>Where it stands: save it with a checkpoint, give it to <see cref="Resume"/>.</summary>
    public PlateauState State { get; private set; }

    /// <summary>Takes an epoch's metric; returns whether the rate was reduced.</summary>
    public bool Step(double metric)
    {
        var (best, bad, cooldown, epochs, _) = State;
        if (IsBetter(metric, best))
        {
            best = metric;
            bad = 0;
        }
        else
        {
            bad++;
        }
        if (cooldown > 0)
        {
            cooldown--;
            bad = 0; // bad epochs are not counted during cooldown
        }
        bool reduced = false;
        if (bad > _patience)
        {
            float old = Optimizer.LearningRate;
            float rate = MathF.Max(old * _factor, _minimumRate);
            if (old - rate > _eps)
            {
                Optimizer.LearningRate = rate;
                reduced = true;
            }
            cooldown = _cooldown;
            bad = 0;
        }
        State = new PlateauState(best, bad, cooldown, epochs + 1, Optimizer.LearningRate);
        return reduced;
    }

    /// <summary>Continues from a saved state, setting the optimiser's rate to the one it left.</summary>
    public void Resume(PlateauState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        State = state;
        Optimizer.LearningRate = state.LearningRate;
    }

    // PyTorch's _is_better: a NaN metric is never better (every comparison with it is false).
    private bool IsBetter(double metric, double best) => (Mode, _relative) switch
    {
        (PlateauMode.Min, true) => metric < best * (1 - _threshold),
        (PlateauMode.Min, false) => metric < best - _threshold,
        (PlateauMode.Max, true) => metric > best * (_threshold + 1),
        _ => metric > best + _threshold,
    };
}
