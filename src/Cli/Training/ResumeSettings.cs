using Engine.Training;

namespace Engine.Cli.Training;

/// <summary>
/// The settings of a resumed run: what the command line gives, else what the checkpoint recorded.
/// What may change is the library's <see cref="ResumeRules"/>, read through <see cref="OptionNames"/>:
/// settings that define the run (data, seed, batch size, model, augmentation, optimiser) must not
/// change, since the run would silently become another one; the epoch count and the optimiser's
/// rate, weight decay and clipping may change, and each change is named and recorded in the checkpoint.
/// </summary>
internal static class ResumeSettings
{
    /// <summary>Merges <paramref name="requested"/> into <paramref name="recorded"/> (as <see cref="CheckpointSettings.CommandLineSettings"/> reads it); returns the settings and the changes made.</summary>
    /// <exception cref="ArgumentException">A setting that defines the run differs; the message names it and both values.</exception>
    public static (TrainSettings Settings, List<string> Changes) Merge(TrainSettings requested, TrainSettings recorded, string position)
    {
        foreach (var option in ResumeRules.Of(ResumeRuleKind.Fixed).SelectMany(OptionNames.Of))
        {
            object? asked = option.Value!(requested), before = option.Value(recorded);
            if (asked is not null && !Equals(asked, before))
                throw new ArgumentException($"--resume: this run was trained with {option.Name} {Text(before)}; {option.Name} {Text(asked)} would make it another run (start that one in another folder with -o).");
        }
        // The data is also its folder and files.
        if (requested.DataDirectory is string given)
        {
            // The same folder however it is written; a run recorded without --data read data/<dataset>.
            string now = Path.GetFullPath(given), before = Path.GetFullPath(recorded.DataDirectory ?? Datasets.DatasetCatalog.DefaultFolder(recorded.Dataset ?? "") ?? "");
            if (now.TrimEnd(Path.DirectorySeparatorChar) != before.TrimEnd(Path.DirectorySeparatorChar))
                throw new ArgumentException($"--resume: this run was trained with --data '{before}'; --data '{now}' would make it another run (start that one in another folder with -o).");
        }
        foreach (var file in recorded.DataFiles ?? [])
        {
            if (file.Change() is string change)
                throw new InvalidDataException(change);
        }

        var changes = new List<string>();
        var settings = recorded;
        foreach (var rule in ResumeRules.All.Where(rule => rule.Kind != ResumeRuleKind.Fixed))
        {
            foreach (var option in OptionNames.Of(rule))
            {
                object? asked = option.Value!(requested), before = option.Value(recorded);
                if (rule.Kind == ResumeRuleKind.Changeable && asked is not null && !Equals(asked, before))
                    changes.Add($"{position}: {option.Name} {(before is null ? "off" : Text(before))} -> {Text(asked)}"); // a run recorded before clipping had none
                settings = option.Take!(settings, requested);
            }
        }
        settings = settings with
        {
            EarlyStop = requested.EarlyStop ?? recorded.EarlyStop,
            MemoryLimit = requested.MemoryLimit ?? recorded.MemoryLimit,
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

    // As the library's messages show a value (ResumeRules.Text), in the command line's words for null and switches.
    private static string Text(object? value) => value switch
    {
        null => "(default)",
        bool b => b ? "on" : "off",
        _ => ResumeRules.Text(value),
    };
}
