using System.Text.Json;
using System.Text.Json.Serialization;
using Engine.Models;

namespace Engine.Cli.Training;

/// <summary>
/// What a training checkpoint records beside its tensors (safetensors metadata <c>engine.run</c>,
/// JSON): enough to rebuild the model, to tell where the run stands to the step, and to continue
/// it with the same bits as an uninterrupted run.
/// </summary>
internal sealed record CheckpointInfo
{
    /// <summary>The format this version writes and reads.</summary>
    public const int CurrentFormat = 2;

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Format version.</summary>
    public int Format { get; init; } = CurrentFormat;
    /// <summary>resnet, unet or vae.</summary>
    public required string Task { get; init; }
    /// <summary>The options that rebuild the model.</summary>
    public required ModelOptions Model { get; init; }
    /// <summary>The dataset it trains on.</summary>
    public required string Dataset { get; init; }
    /// <summary>The resolved training settings.</summary>
    public required TrainSettings Settings { get; init; }
    /// <summary>Epochs completed.</summary>
    public int Epoch { get; init; }
    /// <summary>Steps done in the epoch after those (0 at an epoch's end).</summary>
    public int Step { get; init; }
    /// <summary>Optimiser steps per epoch.</summary>
    public int StepsPerEpoch { get; init; }
    /// <summary>Sum of the losses of the <see cref="Step"/> steps done in the unfinished epoch (its running mean resumes from it).</summary>
    public double EpochLossSum { get; init; }
    /// <summary>The counter of the training graph's random generator (its key comes from the seed).</summary>
    public ulong NoiseOffset { get; init; }
    /// <summary>Name of the evaluation metric.</summary>
    public required string Metric { get; init; }
    /// <summary>Whether a higher metric is better (accuracy, Dice) or a lower one (negative ELBO).</summary>
    public bool HigherIsBetter { get; init; }
    /// <summary>The metric after the last completed epoch, or null before the first.</summary>
    public double? Value { get; init; }
    /// <summary>The best metric so far, or null before the first evaluation.</summary>
    public double? Best { get; init; }
    /// <summary>The epoch that reached <see cref="Best"/>.</summary>
    public int BestEpoch { get; init; }
    /// <summary>Settings changed on resume, in order (<c>after epoch 3: --lr 0.002 -> 0.001</c>).</summary>
    public IReadOnlyList<string> History { get; init; } = [];
    /// <summary>The epoch log so far (<see cref="RunLog"/>), one record per completed epoch.</summary>
    public IReadOnlyList<EpochRecord> EpochLog { get; init; } = [];
    /// <summary>The step log so far: every <c>--log-every</c>-th step's loss.</summary>
    public IReadOnlyList<StepRecord> StepLog { get; init; } = [];
    /// <summary>Where <c>--schedule plateau</c> stands (null for the other schedules).</summary>
    public Engine.Optim.PlateauState? Plateau { get; init; }
    /// <summary>Ranks the run was trained on (data-parallel; 1 for one process): a resumed run needs as many, since they shard the data.</summary>
    public int Ranks { get; init; } = 1;

    /// <summary>Optimiser steps taken.</summary>
    [JsonIgnore]
    public long GlobalStep => (long)Epoch * StepsPerEpoch + Step;

    /// <summary>Where the run stands, for messages: <c>after epoch 3</c> or <c>in epoch 4 after step 17</c>.</summary>
    [JsonIgnore]
    public string Position => Step == 0 ? $"after epoch {Epoch}" : $"in epoch {Epoch + 1} after step {Step}";

    /// <summary>A value of this run's metric as people read it: accuracy in percent, others to four places.</summary>
    public string Show(double value) => Metric == "accuracy"
        ? (value * 100).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + "%"
        : value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The JSON stored in the checkpoint.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses and checks the JSON of a checkpoint; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Damaged, of another format, or with values out of range.</exception>
    public static CheckpointInfo Parse(string json, string source)
    {
        CheckpointInfo? info;
        try
        {
            info = JsonSerializer.Deserialize<CheckpointInfo>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: damaged run information: {e.Message}", e);
        }
        if (info is null)
            throw new InvalidDataException($"{source}: empty run information.");
        string? problem = info.Format != CurrentFormat ? $"format {info.Format}, but this version reads format {CurrentFormat}"
            : !TrainSettings.Models.Contains(info.Task) ? $"unknown task '{info.Task}'"
            : info.Model is null || info.Settings is null || info.Metric is null || info.Dataset is null ? "a missing model, dataset, metric or settings entry"
            : info.Settings.Model != info.Task ? $"settings for '{info.Settings.Model}' in a {info.Task} run"
            : info.StepsPerEpoch <= 0 ? $"{info.StepsPerEpoch} steps per epoch"
            : info.Ranks < 1 ? $"{info.Ranks} ranks"
            : info.Epoch < 0 || info.Step < 0 || info.Step >= info.StepsPerEpoch ? $"position epoch {info.Epoch}, step {info.Step} of {info.StepsPerEpoch}"
            : info.Settings.Epochs is not > 0 || info.Settings.BatchSize is not > 0 || info.Settings.LearningRate is null || info.Settings.WeightDecay is null || info.Settings.Seed is null
                ? "incomplete settings"
            : !double.IsFinite(info.EpochLossSum) ? $"a non-finite epoch loss {info.EpochLossSum}"
            : info.Epoch > info.Settings.Epochs ? $"epoch {info.Epoch} of a run of {info.Settings.Epochs}"
            : info.Value is double v && !double.IsFinite(v) || info.Best is double b && !double.IsFinite(b) ? "a non-finite metric"
            : info.Plateau is { } plateau && (!(plateau.LearningRate >= 0 && float.IsFinite(plateau.LearningRate)) || plateau.BadEpochs < 0 || plateau.CooldownCounter < 0 || plateau.Epochs < 0)
                ? $"a damaged plateau state ({plateau})"
            : info.EpochLog?.Any(e => e is null) == true || info.StepLog?.Any(e => e is null) == true ? "an empty log record"
            : ModelProblem(info.Model);
        if (problem is not null)
            throw new InvalidDataException($"{source}: the run information has {problem}.");
        // Checkpoints written before the logs existed have none: they start empty.
        return info with { History = info.History ?? [], EpochLog = info.EpochLog ?? [], StepLog = info.StepLog ?? [] };
    }

    /// <summary>
    /// Model options out of any reasonable range: commands build the model (and allocate its weights)
    /// from them before a tensor of the file is checked, so a damaged header must not size that.
    /// </summary>
    private static string? ModelProblem(ModelOptions m) =>
        m.Name is null || m.BaseWidth is < 1 or > 4096 || m.ImageSize is < 1 or > 16384 || m.Classes is < 0 or > 100_000
            || m.InChannels is < 1 or > 4096 || m.Latent is < 1 or > 65536 || m.Depth is < 1 or > 12
            ? $"model options out of range ({m})"
            : null;
}
