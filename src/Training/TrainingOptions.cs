using System.Globalization;
using System.Text.Json.Serialization;
using Engine.Data;

namespace Engine.Training;

/// <summary>
/// How a <see cref="Trainer"/> trains: the loop's hyperparameters, recorded in every checkpoint so a
/// resumed run continues the same run. The defaults are PyTorch's where it has one (AdamW's rate
/// 1e-3 and weight decay 0.01, a logged loss every 10 steps as Lightning's loggers do).
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Epochs to train (each a pass over the training set, its last partial batch dropped).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Images per step (per rank in a data-parallel run).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The learning rate (the schedule's peak or start).</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Weight decay: decoupled for AdamW, added to the gradient for SGD.</summary>
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>The one seed of initialisation, shuffling, augmentation and the graph's noise: the same seed gives the same bits.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>AdamW or SGD with momentum 0.9.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;

    /// <summary>How the rate moves from <see cref="LearningRate"/>.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<ScheduleKind>))]
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    /// <summary>No weight decay on biases and batch-norm parameters (every parameter of rank 1): the optimiser's second parameter group.</summary>
    public bool NoDecayOnBiasesAndNorms { get; init; }

    /// <summary>Random flips and shifts of the training images (null: none).</summary>
    public Augmentation? Augmentation { get; init; }

    /// <summary>With a run folder: commit a checkpoint every N steps as well as after every epoch (null: after epochs only).</summary>
    public int? SaveEvery { get; init; }

    /// <summary>Keep every Nth step's loss in the step log (<see cref="CheckpointInfo.StepLog"/>, <c>steps.csv</c>).</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Data-parallel runs: batch-norm statistics over every rank's batch (SyncBatchNorm) instead of each rank's own.</summary>
    public bool SyncBatchNorm { get; init; }

    /// <summary>
    /// Scales the gradients before each update so their global L2 norm (over every parameter, after
    /// accumulation and the ranks' average) is at most this, as <c>torch.nn.utils.clip_grad_norm_</c>
    /// (factor <c>max / (norm + 1e-6)</c> when below 1). Null: no clipping.
    /// </summary>
    public float? ClipGradNorm { get; init; }

    /// <summary>
    /// Gradient accumulation: each update sums the gradients of this many consecutive batches of
    /// <see cref="BatchSize"/> (each scaled by 1/N), so with a mean-reduced loss it steps with the
    /// gradient of their combined batch of N x BatchSize images (batch norm aside: it normalises
    /// each batch alone) while holding one batch's activations. A step's loss is the batches' mean;
    /// an epoch has <c>batches / N</c> steps, the batches left over are dropped with the partial one.
    /// </summary>
    public int Accumulate { get; init; } = 1;

    /// <summary>
    /// When the run ends after its last epoch or an early stop, put the best epoch's weights back
    /// into the model (Keras's <c>restore_best_weights</c>) and evaluate them; the last checkpoint
    /// keeps the last epoch's weights, to resume from.
    /// </summary>
    public bool RestoreBestWeights { get; init; }

    /// <summary>Checks every value and names the first out of range.</summary>
    /// <exception cref="ArgumentException">A value out of range, named with the value.</exception>
    public void Validate()
    {
        if (Problem() is string problem)
            throw new ArgumentException(problem);
    }

    /// <summary>
    /// The first value out of range, as one line naming it and the value, or null when all are in
    /// range; <paramref name="name"/> gives an option's name as the caller's users know it (the
    /// command line's <c>--epochs</c> for <c>Epochs</c>; default: the member's name).
    /// </summary>
    public string? Problem(Func<string, string>? name = null)
    {
        string N(string member) => name?.Invoke(member) ?? member;
        var invariant = CultureInfo.InvariantCulture;
        if (Epochs <= 0)
            return $"{N(nameof(Epochs))} must be positive, got {Epochs}.";
        if (BatchSize <= 0)
            return $"{N(nameof(BatchSize))} must be positive, got {BatchSize}.";
        if (!(LearningRate > 0 && float.IsFinite(LearningRate)))
            return string.Create(invariant, $"{N(nameof(LearningRate))} must be a positive finite number, got {LearningRate}.");
        if (!(WeightDecay >= 0 && float.IsFinite(WeightDecay)))
            return string.Create(invariant, $"{N(nameof(WeightDecay))} must be a finite number of at least 0, got {WeightDecay}.");
        if (!Enum.IsDefined(Optimizer))
            return $"{N(nameof(Optimizer))} must be one of {string.Join(", ", Enum.GetNames<OptimizerKind>())}, got {(int)Optimizer}.";
        if (!Enum.IsDefined(Schedule))
            return $"{N(nameof(Schedule))} must be one of {string.Join(", ", Enum.GetNames<ScheduleKind>())}, got {(int)Schedule}.";
        if (SaveEvery <= 0)
            return $"{N(nameof(SaveEvery))} must be positive, got {SaveEvery}.";
        if (LogEvery <= 0)
            return $"{N(nameof(LogEvery))} must be positive, got {LogEvery}.";
        if (ClipGradNorm is float clip && !(clip > 0 && float.IsFinite(clip)))
            return string.Create(invariant, $"{N(nameof(ClipGradNorm))} must be a positive finite number, got {clip}.");
        if (Accumulate <= 0)
            return $"{N(nameof(Accumulate))} must be at least 1 batch, got {Accumulate}.";
        if (Augmentation is { Padding: < 0 } a)
            return $"{N(nameof(Augmentation))}.Padding must be at least 0, got {a.Padding}.";
        return null;
    }
}
