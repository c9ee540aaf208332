using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Engine.Models;

namespace Engine.Training;

/// <summary>
/// What a training checkpoint records beside its tensors (safetensors metadata <c>engine.run</c>,
/// JSON): the options it trains with, the model's options when it has them (so a command can
/// rebuild it), where the run stands to the step, and everything else needed to continue it with
/// the same bits as an uninterrupted run; plus whatever the embedding program keeps with it
/// (<see cref="Application"/>).
/// </summary>
public sealed record CheckpointInfo
{
    /// <summary>
    /// The format this version writes; it reads this one, format 3 (whose header held the whole step
    /// log: read as a step log none of which is in <c>steps.csv</c>) and format 2 (before the library
    /// loop, converted on reading).
    /// </summary>
    public const int CurrentFormat = 4;

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Format version.</summary>
    public int Format { get; init; } = CurrentFormat;
    /// <summary>The task's <see cref="TrainingTask.Kind"/>: classification, segmentation, vae, or a task of the program's own.</summary>
    public required string Task { get; init; }
    /// <summary>The options that rebuild the model (null for a model built otherwise).</summary>
    public ModelOptions? Model { get; init; }
    /// <summary>The options of the loop.</summary>
    public required TrainingOptions Options { get; init; }
    /// <summary>What the program that trains keeps with the run (the command line keeps its settings here); the loop does not read it.</summary>
    public JsonElement? Application { get; init; }
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
    /// <summary>Settings changed on resume, in order (<c>after epoch 3: LearningRate 0.002 -> 0.001</c>; the command line names its options).</summary>
    public IReadOnlyList<string> History { get; init; } = [];
    /// <summary>The epoch log so far (<see cref="RunLog"/>), one record per completed epoch.</summary>
    public IReadOnlyList<EpochRecord> EpochLog { get; init; } = [];
    /// <summary>
    /// The step log: every <see cref="TrainingOptions.LogEvery"/>-th step's loss. In a run's state,
    /// all of it; in a checkpoint file, only the records after <see cref="StepLogWrittenThrough"/>
    /// (the rest is in the run folder's <c>steps.csv</c>, appended at every commit), so a checkpoint
    /// does not grow with the run's length. <see cref="RunFolder.PrepareResume"/> puts the two together.
    /// </summary>
    public IReadOnlyList<StepRecord> StepLog { get; init; } = [];
    /// <summary>The step through which the step log was in <c>steps.csv</c> when this checkpoint was committed (0: none of it).</summary>
    public long StepLogWrittenThrough { get; init; }
    /// <summary>Where the plateau schedule stands (null for the other schedules).</summary>
    public Engine.Optim.PlateauState? Plateau { get; init; }
    /// <summary>
    /// The run's identity (32 hex digits, drawn when it began), carried by every checkpoint it
    /// commits: a checkpoint of another run in its folder is told apart however alike the two are.
    /// Null in checkpoints written before it was kept.
    /// </summary>
    public string? RunId { get; init; }
    /// <summary>What the run trains and evaluates on (null in checkpoints written before it was kept): a resume on other data is refused.</summary>
    public DataFingerprint? Data { get; init; }
    /// <summary>Ranks the run was trained on (data-parallel; 1 for one process): a resumed run needs as many, since they shard the data.</summary>
    public int Ranks { get; init; } = 1;

    /// <summary>Its members as values (the history's lines, the logs by their length), never a list's type name.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        builder.Append(invariant, $"Format = {Format}, Task = {Task}, Model = {Model}, Options = {Options}, Position = {Position}, StepsPerEpoch = {StepsPerEpoch}, ");
        builder.Append(invariant, $"Metric = {Metric}, Value = {Value}, Best = {Best}, BestEpoch = {BestEpoch}, History = [{string.Join("; ", History)}], ");
        builder.Append(invariant, $"EpochLog = {EpochLog.Count} epochs, StepLog = {StepLog.Count} steps, RunId = {RunId}, Data = {Data}, Ranks = {Ranks}");
        return true;
    }

    /// <summary>
    /// Whether <paramref name="other"/> is a checkpoint of the same run: by <see cref="RunId"/> where
    /// both have one, else (older checkpoints) by what defines a run: task, model, seed, batch size,
    /// steps per epoch and ranks.
    /// </summary>
    public bool IsSameRun(CheckpointInfo other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return RunId is not null && other.RunId is not null
            ? RunId == other.RunId
            : Task == other.Task && Model == other.Model && Options.Seed == other.Options.Seed && Options.BatchSize == other.Options.BatchSize
                && StepsPerEpoch == other.StepsPerEpoch && Ranks == other.Ranks;
    }

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
            var node = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not a JSON object");
            if (node["Format"]?.GetValue<int>() == 2)
                FromFormat2(node);
            info = node.Deserialize<CheckpointInfo>(Json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException) // ArgumentException: a repeated key
        {
            // System.Text.Json names .NET types ("cannot be converted to a 'System.Int32'"); say where instead.
            string what = !e.Message.Contains("System.", StringComparison.Ordinal) ? e.Message
                : e is JsonException { Path: { Length: > 1 } path } ? $"a value of the wrong kind at {path}"
                : "a value of the wrong kind (a string where a number belongs, or the like)";
            throw new InvalidDataException($"{source}: damaged run information: {what}", e);
        }
        if (info is null)
            throw new InvalidDataException($"{source}: empty run information.");
        string? problem = info.Format is not (3 or CurrentFormat) ? $"format {info.Format}, but this version reads formats 2 to {CurrentFormat}"
            : info.Task is null || info.Options is null || info.Metric is null ? "a missing task, options or metric entry"
            : OptionsProblem(info.Options)
            ?? (info.StepsPerEpoch <= 0 ? $"{info.StepsPerEpoch} steps per epoch"
            : info.Ranks < 1 ? $"{info.Ranks} ranks"
            : info.Epoch < 0 || info.Step < 0 || info.Step >= info.StepsPerEpoch ? $"position epoch {info.Epoch}, step {info.Step} of {info.StepsPerEpoch}"
            : !double.IsFinite(info.EpochLossSum) ? $"a non-finite epoch loss {info.EpochLossSum}"
            : info.Epoch > info.Options.Epochs ? $"epoch {info.Epoch} of a run of {info.Options.Epochs}"
            : info.Value is double v && !double.IsFinite(v) || info.Best is double b && !double.IsFinite(b) ? "a non-finite metric"
            : info.Plateau is { } plateau && (!(plateau.LearningRate >= 0 && float.IsFinite(plateau.LearningRate)) || plateau.BadEpochs < 0 || plateau.CooldownCounter < 0 || plateau.Epochs < 0)
                ? $"a damaged plateau state ({plateau})"
            : info.EpochLog?.Any(e => e is null) == true || info.StepLog?.Any(e => e is null) == true ? "an empty log record"
            : info.RunId is { } id && (id.Length != 32 || !id.All(char.IsAsciiHexDigitLower)) ? $"a damaged run id '{(id.Length > 40 ? id[..40] + "..." : id)}'"
            : info.StepLogWrittenThrough < 0 || info.StepLogWrittenThrough > info.GlobalStep ? $"a step log written through step {info.StepLogWrittenThrough} of {info.GlobalStep}"
            : info.Model is { } model ? ModelProblem(model) : null);
        if (problem is not null)
            throw new InvalidDataException($"{source}: the run information has {problem}.");
        // Checkpoints written before the logs existed have none: they start empty. A format-3 header
        // holds the whole step log, none of it counted as in steps.csv: read as this format says so.
        // A model recorded under an earlier name (deeplabv3) reads as today's (ModelNames).
        return info with
        {
            Format = CurrentFormat, History = info.History ?? [], EpochLog = info.EpochLog ?? [], StepLog = info.StepLog ?? [],
            Model = info.Model is { } recorded ? recorded with { Name = ModelNames.Canonical(recorded.Name) } : null,
        };
    }

    private static string? OptionsProblem(TrainingOptions options)
    {
        try
        {
            options.Validate();
            return null;
        }
        catch (ArgumentException e)
        {
            return $"options out of range ({e.Message})";
        }
    }

    /// <summary>
    /// Rewrites a format-2 checkpoint's information (written by the command line before the loop
    /// moved into this library) as the current format: its command-line settings become <see cref="Application"/>
    /// and give the loop's <see cref="Options"/>; its task (resnet, unet, vae) becomes the task kind.
    /// </summary>
    private static void FromFormat2(JsonObject node)
    {
        var settings = node["Settings"] as JsonObject ?? throw new JsonException("a format-2 run without settings");
        JsonNode? Get(string name) => settings[name]?.DeepClone();
        int imageSize = node["Model"]?["ImageSize"]?.GetValue<int>() ?? 0;
        var options = new JsonObject
        {
            ["Epochs"] = Get("Epochs"),
            ["BatchSize"] = Get("BatchSize"),
            ["LearningRate"] = Get("LearningRate"),
            ["WeightDecay"] = Get("WeightDecay"),
            ["Seed"] = Get("Seed"),
            ["Optimizer"] = settings["Optimizer"]?.GetValue<string>() == "sgd" ? "Sgd" : "AdamW",
            ["Schedule"] = (settings["Schedule"]?.GetValue<string>() ?? "cosine") switch { "onecycle" => "OneCycle", "plateau" => "Plateau", "constant" => "Constant", _ => "Cosine" },
            ["NoDecayOnBiasesAndNorms"] = settings["NoNormBiasDecay"]?.GetValue<bool>() ?? false,
            ["Augmentation"] = settings["Augment"]?.GetValue<bool>() == true ? new JsonObject { ["HorizontalFlip"] = true, ["Padding"] = imageSize / 16 } : null,
            ["SaveEvery"] = Get("SaveEvery"),
            ["LogEvery"] = settings["LogEvery"]?.DeepClone() ?? 10,
            ["SyncBatchNorm"] = settings["SyncBatchNorm"]?.GetValue<bool>() ?? false,
        };
        node["Options"] = options;
        node["Application"] = settings.DeepClone();
        node["Task"] = node["Task"]?.GetValue<string>() switch { "resnet" => "classification", "unet" => "segmentation", var other => other };
        node.Remove("Settings");
        node.Remove("Dataset");
        node["Format"] = CurrentFormat;
    }

    /// <summary>
    /// Model options out of any reasonable range (<see cref="ModelLimits"/>): commands build the model
    /// (and allocate its weights) from them before a tensor of the file is checked, so a damaged
    /// header must not size that.
    /// </summary>
    private static string? ModelProblem(ModelOptions m) => ModelLimits.Problem(m) is string problem ? $"model options out of range ({problem}: {m})" : null;
}
