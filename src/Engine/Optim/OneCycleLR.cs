namespace Engine.Optim;

/// <summary>
/// <c>torch.optim.lr_scheduler.OneCycleLR</c> (Smith &amp; Topin 2018) with PyTorch's defaults and its
/// two-phase cosine form: over the first <c>pctStart</c> of the steps the rate rises from
/// <c>maxRate / divFactor</c> to <c>maxRate</c> while the momentum falls from <c>maxMomentum</c> to
/// <c>baseMomentum</c>; over the rest the rate falls to <c>maxRate / divFactor / finalDivFactor</c>
/// and the momentum returns. Phase ends are PyTorch's: step <c>pctStart * total - 1</c> and
/// <c>total - 1</c>; each phase anneals by <c>end + (start - end)(1 + cos(pi t)) / 2</c> with
/// <c>t</c> its fraction done. Stepped once per batch; <c>total</c> steps may be taken, not more.
/// The momentum is SGD's, or Adam's and AdamW's beta1, as PyTorch cycles <c>betas[0]</c>.
/// </summary>
public sealed class OneCycleLR : LearningRateSchedule
{
    private readonly int _total;
    private readonly float _maxRate, _initialRate, _minimumRate, _baseMomentum, _maxMomentum;
    private readonly float _phaseOneEnd;
    private readonly bool _cycleMomentum;

    /// <summary>Creates the schedule and sets step 0's rate (and momentum).</summary>
    /// <param name="optimizer">The optimiser; to cycle momentum, SGD made with momentum, Adam or AdamW.</param>
    /// <param name="maxRate">The peak rate (PyTorch's <c>max_lr</c>).</param>
    /// <param name="totalSteps">Steps in the cycle (<c>epochs * steps_per_epoch</c>).</param>
    /// <param name="pctStart">The share of the steps spent raising the rate (0.3).</param>
    /// <param name="divFactor">The starting rate is <c>maxRate / divFactor</c> (25).</param>
    /// <param name="finalDivFactor">The final rate is the starting rate over this (1e4).</param>
    /// <param name="cycleMomentum">Cycle the momentum against the rate (on, as in PyTorch).</param>
    /// <param name="baseMomentum">The momentum at the peak rate (0.85).</param>
    /// <param name="maxMomentum">The momentum at the start and the end (0.95).</param>
    public OneCycleLR(Optimizer optimizer, float maxRate, int totalSteps, float pctStart = 0.3f, float divFactor = 25f, float finalDivFactor = 1e4f,
        bool cycleMomentum = true, float baseMomentum = 0.85f, float maxMomentum = 0.95f) : base(optimizer)
    {
        if (!(maxRate > 0) || !float.IsFinite(maxRate))
            throw new ArgumentException($"OneCycleLR: the peak rate must be a positive finite number, got {maxRate}.", nameof(maxRate));
        if (totalSteps <= 0)
            throw new ArgumentException($"OneCycleLR: total steps must be positive, got {totalSteps}.", nameof(totalSteps));
        if (!(pctStart >= 0 && pctStart <= 1))
            throw new ArgumentException($"OneCycleLR: pctStart must be in [0, 1], got {pctStart}.", nameof(pctStart));
        if (!(divFactor > 0) || !(finalDivFactor > 0))
            throw new ArgumentException($"OneCycleLR: divFactor {divFactor} and finalDivFactor {finalDivFactor} must be positive.");
        if (cycleMomentum && optimizer is not (Adam or Sgd { Momentum: > 0 }))
            throw new ArgumentException($"OneCycleLR: cycling momentum needs SGD made with momentum, Adam or AdamW, not {(optimizer is Sgd ? "SGD without momentum" : optimizer.GetType().Name)}; pass cycleMomentum: false.");
        if (cycleMomentum && !(baseMomentum >= 0 && baseMomentum <= maxMomentum && maxMomentum < 1))
            throw new ArgumentException($"OneCycleLR: momenta must satisfy 0 <= base {baseMomentum} <= max {maxMomentum} < 1.");
        _total = totalSteps;
        _maxRate = maxRate;
        _initialRate = maxRate / divFactor;
        _minimumRate = _initialRate / finalDivFactor;
        _phaseOneEnd = pctStart * totalSteps - 1; // PyTorch: float(pct_start * total_steps) - 1
        _cycleMomentum = cycleMomentum;
        _baseMomentum = baseMomentum;
        _maxMomentum = maxMomentum;
        Apply();
    }

    /// <summary>Steps in the cycle.</summary>
    public int TotalSteps => _total;

    /// <inheritdoc/>
    public override float RateAt(int step)
    {
        var (t, rising) = Phase(step);
        return rising ? Anneal(_initialRate, _maxRate, t) : Anneal(_maxRate, _minimumRate, t);
    }

    /// <summary>The momentum (or beta1) at schedule step <paramref name="step"/>.</summary>
    public float MomentumAt(int step)
    {
        var (t, rising) = Phase(step);
        return rising ? Anneal(_maxMomentum, _baseMomentum, t) : Anneal(_baseMomentum, _maxMomentum, t);
    }

    /// <inheritdoc/>
    protected override void ApplyAt(int step)
    {
        base.ApplyAt(step);
        if (!_cycleMomentum)
            return;
        float momentum = MomentumAt(step);
        switch (Optimizer)
        {
            case Sgd sgd:
                sgd.Momentum = momentum;
                break;
            case Adam adam:
                adam.Beta1 = momentum;
                break;
        }
    }

    // Which phase a step lies in and the fraction of it done, as PyTorch walks its phases.
    private (float Fraction, bool Rising) Phase(int step)
    {
        if (step < 0 || step > _total)
            throw new ArgumentOutOfRangeException(nameof(step), $"OneCycleLR: step {step} is outside the cycle of {_total} steps (PyTorch refuses to step past it too).");
        if (step <= _phaseOneEnd)
            return (_phaseOneEnd > 0 ? step / _phaseOneEnd : 1f, true); // a first phase of one step (PyTorch divides by zero there) is at its peak
        float end = _total - 1;
        return (end == _phaseOneEnd ? 1f : (step - _phaseOneEnd) / (end - _phaseOneEnd), false);
    }

    // PyTorch's _annealing_cos: from start at t = 0 to end at t = 1.
    private static float Anneal(float start, float end, float t) => end + (start - end) / 2f * (MathF.Cos(MathF.PI * t) + 1f);
}
