using System.Globalization;

namespace Engine.Training;

/// <summary>
/// The one list of what resuming a run may change: <see cref="TrainingSession"/> checks a
/// checkpoint against it, and an application that resumes from its own settings (the command
/// line) reads it and maps each name to its own. Settings that define the run (the data, the seed,
/// the batch, the model, the optimiser and what orders its state) are fixed; the length of the run
/// and the optimiser's rate, weight decay and clipping may change, and each change is recorded.
/// </summary>
public static class ResumeRules
{
    /// <summary>The data: its files, their order and count (<see cref="CheckpointInfo.Data"/>'s fingerprint), and what the application makes of them.</summary>
    public const string Data = "Data";

    /// <summary>The model: its <see cref="Models.ModelOptions"/> (<see cref="CheckpointInfo.Model"/>) and how the application initialised it.</summary>
    public const string Model = "Model";

    /// <summary>The task and its own settings (<see cref="CheckpointInfo.Task"/>; an autoencoder's noise and penalty).</summary>
    public const string Task = "Task";

    /// <summary>Every rule, fixed ones first in the order they are checked.</summary>
    public static IReadOnlyList<ResumeRule> All { get; } =
    [
        new(Data, ResumeRuleKind.Fixed),
        new(nameof(TrainingOptions.Seed), ResumeRuleKind.Fixed, o => o.Seed),
        new(nameof(TrainingOptions.BatchSize), ResumeRuleKind.Fixed, o => o.BatchSize),
        new(Model, ResumeRuleKind.Fixed),
        new(nameof(TrainingOptions.Augmentation), ResumeRuleKind.Fixed, o => o.Augmentation),
        new(nameof(TrainingOptions.Optimizer), ResumeRuleKind.Fixed, o => o.Optimizer),
        new(nameof(TrainingOptions.Schedule), ResumeRuleKind.Fixed, o => o.Schedule),
        new(nameof(TrainingOptions.NoDecayOnBiasesAndNorms), ResumeRuleKind.Fixed, o => o.NoDecayOnBiasesAndNorms), // it orders the optimiser's state
        new(nameof(TrainingOptions.SyncBatchNorm), ResumeRuleKind.Fixed, o => o.SyncBatchNorm),
        new(nameof(TrainingOptions.Accumulate), ResumeRuleKind.Fixed, o => o.Accumulate, SetsSteps: true), // it sets the steps and what each sums
        new(Task, ResumeRuleKind.Fixed),
        new(nameof(TrainingOptions.Epochs), ResumeRuleKind.Changeable, o => o.Epochs),
        new(nameof(TrainingOptions.LearningRate), ResumeRuleKind.Changeable, o => o.LearningRate),
        new(nameof(TrainingOptions.WeightDecay), ResumeRuleKind.Changeable, o => o.WeightDecay),
        new(nameof(TrainingOptions.ClipGradNorm), ResumeRuleKind.Changeable, o => o.ClipGradNorm),
        new(nameof(TrainingOptions.RestoreBestWeights), ResumeRuleKind.Changeable, o => o.RestoreBestWeights),
        new(nameof(TrainingOptions.SaveEvery), ResumeRuleKind.Free, o => o.SaveEvery),
        new(nameof(TrainingOptions.LogEvery), ResumeRuleKind.Free, o => o.LogEvery),
    ];

    /// <summary>The rules of one kind, in <see cref="All"/>'s order.</summary>
    public static IEnumerable<ResumeRule> Of(ResumeRuleKind kind) => All.Where(rule => rule.Kind == kind);

    /// <summary>
    /// Checks <paramref name="now"/> against the options <paramref name="before"/> a checkpoint
    /// recorded, for the fixed rules that compare options (those with <paramref name="setsSteps"/>
    /// only, or all the others).
    /// </summary>
    /// <exception cref="ArgumentException">A fixed option differs; the message names it and both values.</exception>
    public static void CheckFixed(TrainingOptions now, TrainingOptions before, bool setsSteps)
    {
        foreach (var rule in Of(ResumeRuleKind.Fixed).Where(r => r.Value is not null && r.SetsSteps == setsSteps))
        {
            object? asked = rule.Value!(now), recorded = rule.Value(before);
            if (!Equals(asked, recorded))
                throw new ArgumentException($"The run was trained with {rule.Name} {Text(recorded)}; {rule.Name} {Text(asked)} would make it another run.");
        }
    }

    /// <summary>How the changeable options went from <paramref name="before"/> to <paramref name="now"/>: one line each, <c>{position}: Name then -> now</c>.</summary>
    public static List<string> Changes(TrainingOptions now, TrainingOptions before, string position) =>
        [.. Of(ResumeRuleKind.Changeable)
            .Where(rule => !Equals(rule.Value!(now), rule.Value(before)))
            .Select(rule => $"{position}: {rule.Name} {Text(rule.Value!(before))} -> {Text(rule.Value(now))}")];

    /// <summary>A value as the messages show it: invariant culture, floats to the last digit that tells them apart, null as none.</summary>
    public static string Text(object? value) => value switch
    {
        null => "none",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
