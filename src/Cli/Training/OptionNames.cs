using Engine.Models;
using Engine.Training;

namespace Engine.Cli.Training;

/// <summary>
/// The command line's name for each of the library's options, in one table: every message that
/// names an option of the library's (a refused resume, a model beyond what a checkpoint holds)
/// reads it, and a resume reads the library's <see cref="ResumeRules"/> through it, so what may
/// change on resume is written once, in the library.
/// </summary>
internal static class OptionNames
{
    /// <summary>Every option, in the order a resume checks them within a rule.</summary>
    public static IReadOnlyList<CommandLineOption> All { get; } =
    [
        new(ResumeRules.Data, "--dataset", s => s.Dataset?.ToLowerInvariant()),
        new(ResumeRules.Data, "--limit", s => s.Limit),
        new(ResumeRules.Data, "--sizes", s => s.Sizes?.Replace(" ", "", StringComparison.Ordinal)),
        new(nameof(TrainingOptions.Seed), "--seed", s => s.Seed),
        new(nameof(TrainingOptions.BatchSize), "--batch-size", s => s.BatchSize),
        new(nameof(ModelOptions.BaseWidth), "--base-width", s => s.Width),
        new(ResumeRules.Model, "--init", s => s.Init?.ToLowerInvariant()),
        new(ResumeRules.Model, "--zero-init-residual", s => s.ZeroInitResidual),
        new(ResumeRules.Model, "--kind", s => s.AutoencoderKind?.ToLowerInvariant()), // it names the autoencoder (ae-plain, ae-sparse, ...)
        new(nameof(ModelOptions.Latent), "--latent", s => s.Latent),
        new(nameof(ModelOptions.OutputStride), "--output-stride", s => s.OutputStride),
        new(nameof(TrainingOptions.Augmentation), "--augment", s => s.Augment),
        new(nameof(TrainingOptions.Optimizer), "--optimizer", s => s.Optimizer?.ToLowerInvariant()),
        new(nameof(TrainingOptions.Schedule), "--schedule", s => s.Schedule?.ToLowerInvariant()),
        new(nameof(TrainingOptions.NoDecayOnBiasesAndNorms), "--no-norm-bias-decay", s => s.NoNormBiasDecay),
        new(nameof(TrainingOptions.SyncBatchNorm), "--sync-batchnorm", s => s.SyncBatchNorm),
        new(nameof(TrainingOptions.Accumulate), "--accumulate", s => s.Accumulate),
        new(ResumeRules.Task, "--noise", s => s.Noise?.ToLowerInvariant()),
        new(ResumeRules.Task, "--noise-level", s => s.NoiseLevel),
        new(ResumeRules.Task, "--penalty", s => s.Penalty),
        new(nameof(TrainingOptions.Epochs), "--epochs", s => s.Epochs, (s, asked) => s with { Epochs = asked.Epochs ?? s.Epochs }),
        new(nameof(TrainingOptions.LearningRate), "--lr", s => s.LearningRate, (s, asked) => s with { LearningRate = asked.LearningRate ?? s.LearningRate }),
        new(nameof(TrainingOptions.WeightDecay), "--weight-decay", s => s.WeightDecay, (s, asked) => s with { WeightDecay = asked.WeightDecay ?? s.WeightDecay }),
        new(nameof(TrainingOptions.ClipGradNorm), "--clip-grad-norm", s => s.ClipGradNorm, (s, asked) => s with { ClipGradNorm = asked.ClipGradNorm ?? s.ClipGradNorm }),
        new(nameof(TrainingOptions.RestoreBestWeights), "--restore-best", s => s.RestoreBest, (s, asked) => s with { RestoreBest = asked.RestoreBest ?? s.RestoreBest }),
        new(nameof(TrainingOptions.SaveEvery), "--save-every", s => s.SaveEvery, (s, asked) => s with { SaveEvery = asked.SaveEvery ?? s.SaveEvery }),
        new(nameof(TrainingOptions.LogEvery), "--log-every", s => s.LogEvery, (s, asked) => s with { LogEvery = asked.LogEvery ?? s.LogEvery }),
        // The model options of summary and predict.
        new(nameof(ModelOptions.Classes), "--classes"),
        new(nameof(ModelOptions.InChannels), "--in-channels"),
        new(nameof(ModelOptions.Depth), "--depth"),
        new(nameof(ModelOptions.HeadChannels), "--head-channels"),
        new(nameof(ModelOptions.AtrousRate), "--atrous-rate"),
    ];

    /// <summary>The option that sets the library's <paramref name="library"/> (<c>Seed</c>: <c>--seed</c>), or null when the command line has none.</summary>
    public static string? Of(string library) => All.FirstOrDefault(option => option.Library == library)?.Name;

    /// <summary>The options <c>train</c> takes that <paramref name="rule"/> covers: its own, and for <see cref="ResumeRules.Model"/> those of the model's options too.</summary>
    public static IEnumerable<CommandLineOption> Of(ResumeRule rule) =>
        All.Where(option => option.Value is not null && (option.Library == rule.Name || rule.Name == ResumeRules.Model && typeof(ModelOptions).GetProperty(option.Library) is not null));
}
