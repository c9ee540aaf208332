using System.Globalization;

namespace Engine.Cli.Training;

/// <summary>
/// The settings of a resumed run: what the command line gives, else what the checkpoint recorded.
/// Settings that define the run (data, seed, batch size, model width, augmentation, limit) must not
/// change, since the run would silently become another one; the epoch count and the optimiser's
/// rate and weight decay may change, and each change is named and recorded in the checkpoint.
/// </summary>
internal static class ResumeSettings
{
    /// <summary>Merges <paramref name="requested"/> into <paramref name="recorded"/>; returns the settings and the changes made.</summary>
    /// <exception cref="ArgumentException">A setting that defines the run differs; the message names it and both values.</exception>
    public static (TrainSettings Settings, List<string> Changes) Merge(TrainSettings requested, TrainSettings recorded, string position)
    {
        void Fixed<T>(string option, T? asked, T? before)
        {
            if (asked is not null && !EqualityComparer<T>.Default.Equals(asked, before))
                throw new ArgumentException($"--resume: this run was trained with {option} {Text(before)}; {option} {Text(asked)} would make it another run (start that one in another folder with -o).");
        }

        Fixed("--dataset", requested.Dataset?.ToLowerInvariant(), recorded.Dataset?.ToLowerInvariant());
        Fixed("--seed", requested.Seed, recorded.Seed);
        Fixed("--batch-size", requested.BatchSize, recorded.BatchSize);
        Fixed("--base-width", requested.Width, recorded.Width);
        Fixed("--limit", requested.Limit, recorded.Limit);
        Fixed("--augment", requested.Augment, recorded.Augment);
        Fixed("--output-stride", requested.OutputStride, recorded.OutputStride ?? (recorded.Model is "deeplab" or "pspnet" ? 8 : null));
        Fixed("--sizes", requested.Sizes?.Replace(" ", "", StringComparison.Ordinal), recorded.Sizes);
        Fixed("--optimizer", requested.Optimizer?.ToLowerInvariant(), recorded.Optimizer ?? "adamw");
        Fixed("--schedule", requested.Schedule?.ToLowerInvariant(), recorded.Schedule ?? "cosine");
        Fixed("--no-norm-bias-decay", requested.NoNormBiasDecay, recorded.NoNormBiasDecay ?? false); // it orders the optimiser's saved state
        // ResNet runs from before --init were initialised with the layers' defaults.
        string? recordedInit = recorded.Init ?? (recorded.Model == "resnet" ? "pytorch" : null);
        Fixed("--init", requested.Init?.ToLowerInvariant(), recordedInit);
        bool? recordedZeroInit = recorded.ZeroInitResidual ?? (recorded.Model == "resnet" ? false : null);
        Fixed("--zero-init-residual", requested.ZeroInitResidual, recordedZeroInit);
        Fixed("--sync-batchnorm", requested.SyncBatchNorm, recorded.SyncBatchNorm);
        Fixed("--accumulate", requested.Accumulate, recorded.Accumulate ?? 1); // it sets the steps and what each sums
        Fixed("--kind", requested.AutoencoderKind?.ToLowerInvariant(), recorded.AutoencoderKind);
        Fixed("--latent", requested.Latent, recorded.Latent ?? (recorded.Model == "vae" ? 20 : null));
        Fixed("--noise", requested.Noise?.ToLowerInvariant(), recorded.Noise);
        Fixed("--noise-level", requested.NoiseLevel, recorded.NoiseLevel);
        Fixed("--penalty", requested.Penalty, recorded.Penalty);
        if (requested.DataDirectory is string asked)
        {
            // The same folder however it is written; a run recorded without --data read data/<dataset>.
            string now = Path.GetFullPath(asked), before = Path.GetFullPath(recorded.DataDirectory ?? Datasets.DatasetCatalog.DefaultFolder(recorded.Dataset ?? "") ?? "");
            if (now.TrimEnd(Path.DirectorySeparatorChar) != before.TrimEnd(Path.DirectorySeparatorChar))
                throw new ArgumentException($"--resume: this run was trained with --data '{before}'; --data '{now}' would make it another run (start that one in another folder with -o).");
        }
        foreach (var file in recorded.DataFiles ?? [])
        {
            if (file.Change() is string change)
                throw new InvalidDataException(change);
        }

        var changes = new List<string>();
        T Changeable<T>(string option, T? asked, T before) where T : struct
        {
            if (asked is not T value || EqualityComparer<T>.Default.Equals(value, before))
                return before;
            changes.Add($"{position}: {option} {Text(before)} -> {Text(value)}");
            return value;
        }

        // Clipping and restoring the best weights may change; a run recorded before them had neither.
        if (requested.ClipGradNorm is float clip && clip != recorded.ClipGradNorm)
            changes.Add($"{position}: --clip-grad-norm {(recorded.ClipGradNorm is float before ? Text(before) : "off")} -> {Text(clip)}");
        if (requested.RestoreBest is bool restore && restore != (recorded.RestoreBest ?? false))
            changes.Add($"{position}: --restore-best {Text(!restore)} -> {Text(restore)}");

        var settings = recorded with
        {
            ClipGradNorm = requested.ClipGradNorm ?? recorded.ClipGradNorm,
            Accumulate = recorded.Accumulate,
            RestoreBest = requested.RestoreBest ?? recorded.RestoreBest,
            Optimizer = recorded.Optimizer ?? "adamw",
            Schedule = recorded.Schedule ?? "cosine",
            NoNormBiasDecay = recorded.NoNormBiasDecay ?? false,
            Init = recordedInit,
            ZeroInitResidual = recordedZeroInit,
            Epochs = Changeable("--epochs", requested.Epochs, recorded.Epochs!.Value),
            LearningRate = Changeable("--lr", requested.LearningRate, recorded.LearningRate!.Value),
            WeightDecay = Changeable("--weight-decay", requested.WeightDecay, recorded.WeightDecay!.Value),
            SaveEvery = requested.SaveEvery ?? recorded.SaveEvery,
            LogEvery = requested.LogEvery ?? recorded.LogEvery,
            EarlyStop = requested.EarlyStop ?? recorded.EarlyStop,
            MemoryLimit = requested.MemoryLimit ?? recorded.MemoryLimit,
            DataDirectory = recorded.DataDirectory,
            Device = requested.Device ?? recorded.Device,
            Output = requested.Output ?? recorded.Output,
            Plain = requested.Plain,
            Distributed = requested.Distributed,
            Backend = requested.Backend,
            Resume = true,
            Overwrite = false,
        };
        return (settings, changes);
    }

    private static string Text<T>(T value) => value switch
    {
        null => "(default)",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "on" : "off",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
