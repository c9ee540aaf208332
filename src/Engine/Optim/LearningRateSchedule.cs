namespace Engine.Optim;

/// <summary>
/// A learning-rate schedule: <see cref="Step"/> after each epoch (or iteration) sets the
/// optimiser's learning rate from the count of steps taken, as PyTorch's schedulers do.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Attaches to an optimiser; the subclass's constructor calls <see cref="Apply"/> for step 0.</summary>
    protected LearningRateSchedule(Optimizer optimizer)
    {
        Optimizer = optimizer;
    }

    /// <summary>The optimiser whose rate is set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Schedule steps taken.</summary>
    public int Steps { get; private set; }

    /// <summary>The learning rate at schedule step <paramref name="step"/>.</summary>
    public abstract float RateAt(int step);

    /// <summary>Advances one step and sets the optimiser's learning rate.</summary>
    public void Step()
    {
        Steps++;
        Apply();
    }

    /// <summary>Sets the rate (and whatever else the schedule drives) for the current step: after construction or when resuming.</summary>
    public void Apply() => ApplyAt(Steps);

    /// <summary>Resumes at a given step.</summary>
    public void Resume(int steps)
    {
        Steps = steps;
        Apply();
    }

    /// <summary>Sets the optimiser for step <paramref name="step"/>: its learning rate, and in schedules that cycle it, its momentum.</summary>
    protected virtual void ApplyAt(int step) => Optimizer.LearningRate = RateAt(step);
}
