using Engine.Training;

namespace Engine.Tests.Cli;

/// <summary>Checkpoints stay readable: run information the reader refuses is named, and a run whose logs a checkpoint could not hold does not start.</summary>
public sealed partial class HostileInputTests
{
    private static readonly Dictionary<string, (Setup Setup, int Exit, string Message)> CheckpointCases = new()
    {
        ["checkpoint of a format from the future"] = (c => Edited(c, info => info.Replace("\"Format\":4", "\"Format\":5", StringComparison.Ordinal)),
            1, "the run information has format 5, but this version reads formats 2 to 4"),
        ["checkpoint with a damaged run id"] = (c => Edited(c, info => System.Text.RegularExpressions.Regex.Replace(info, "\"RunId\":\"[0-9a-f]+\"", "\"RunId\":\"../../etc\"")),
            1, "a damaged run id '../../etc'"),
        ["checkpoint whose step log runs past it"] = (c => Edited(c, info => info.Replace("\"StepLogWrittenThrough\":0", "\"StepLogWrittenThrough\":99", StringComparison.Ordinal)),
            1, "a step log written through step 99 of 2"),
        ["checkpoint information nested 10,000 deep"] = (c => Edited(c, _ => new string('[', 10_000) + new string(']', 10_000)),
            1, "damaged run information"),
        ["run information that is a JSON string"] = (c => Edited(c, _ => "\"hello\""),
            1, "damaged run information"),
        ["more epochs than a checkpoint can log"] = (c => c.Train("resnet", "--epochs", "200000", "--limit", "32", "--batch-size", "16", "-o", c.Path("run")),
            1, "200000 epochs would log more epochs than a checkpoint's header holds (100,000 at most)"),
        ["resume with a step log that is not the run's"] = (c => c.CopyOfRun() is var run && WriteText(Path.Combine(run, RunLog.StepsFile), "when,what\n1,2\n") is var _ && Edited2(run) ? c.Resume(run) : [],
            1, "does not start with 'step,epoch,loss,lr': it is not this run's step log"),
        ["resume with a damaged line in the step log"] = (c => c.CopyOfRun() is var run && WriteText(Path.Combine(run, RunLog.StepsFile), "step,epoch,loss,lr\n1,1,0.5,0.001\nrm -rf /\n2,1,0.5,0.001\n") is var _ && Edited2(run) ? c.Resume(run) : [],
            1, "line 3 is not the next step record"),
        ["resume with a step log linked elsewhere"] = (c => c.CopyOfRun() is var run && Relink(Path.Combine(run, RunLog.StepsFile), c.File("mine.csv", "precious\n"u8.ToArray())) ? c.Resume(run) : [],
            1, "is a symbolic link, not a regular file"),
    };

    /// <summary>eval of a copy of the trained run whose last checkpoint's run information is edited.</summary>
    private static string[] Edited(Context c, Func<string, string> edit)
    {
        string run = c.CopyOfRun();
        Context.EditInfo(Path.Combine(run, RunFolder.LastFile), edit);
        return ["eval", "-c", run, "--device", c.Device];
    }

    /// <summary>Marks both checkpoints of a copied run as having written their step log through step 1, so a resume reads steps.csv.</summary>
    private static bool Edited2(string run)
    {
        foreach (string file in new[] { RunFolder.LastFile, RunFolder.BestFile })
            Context.EditInfo(Path.Combine(run, file), info => info.Replace("\"StepLogWrittenThrough\":0", "\"StepLogWrittenThrough\":1", StringComparison.Ordinal));
        return true;
    }

    private static string WriteText(string path, string text)
    {
        File.WriteAllText(path, text);
        return path;
    }

    private static bool Relink(string path, string target)
    {
        File.Delete(path);
        File.CreateSymbolicLink(path, target);
        return true;
    }
}
