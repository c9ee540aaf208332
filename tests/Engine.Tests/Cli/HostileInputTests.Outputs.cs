using Engine.Training;
using static Engine.Tests.Infrastructure.SampleFiles;

namespace Engine.Tests.Cli;

/// <summary>Outputs never replace inputs: every command refuses, before it computes anything, an output that is one of its inputs (however named) or a file of a run.</summary>
public sealed partial class HostileInputTests
{
    private static readonly Dictionary<string, (Setup Setup, int Exit, string Message)> OutputCases = new()
    {
        ["export over the checkpoint it reads"] = (c => c.CopyOfRun() is var run ? ["export", "-c", run, "-o", Path.Combine(run, RunFolder.LastFile), "--device", c.Device] : [],
            1, "is the --checkpoint ("),
        ["export over the run's best checkpoint"] = (c => c.CopyOfRun() is var run ? ["export", "-c", run, "-o", Path.Combine(run, RunFolder.BestFile), "--device", c.Device] : [],
            1, "is the best.safetensors of the run in"),
        ["export over the run's step log"] = (c => c.CopyOfRun() is var run ? ["export", "-c", Path.Combine(run, RunFolder.BestFile), "-o", Path.Combine(run, RunLog.StepsFile), "--device", c.Device] : [],
            1, "is the steps.csv of the run in"),
        ["export over the run's lock"] = (c => c.CopyOfRun() is var run ? ["export", "-c", run, "-o", Path.Combine(run, ".lock"), "--device", c.Device] : [],
            1, "is the .lock of the run in"),
        ["export over the checkpoint through a linked folder"] = (c => c.CopyOfRun() is var run && Link(c.Path("alias"), run) is var alias
                ? ["export", "-c", run, "-o", Path.Combine(alias, RunFolder.LastFile), "--device", c.Device] : [],
            1, "is the --checkpoint ("),
        ["segment writing its PNG over the checkpoint"] = (c => c.CopyOfRun() is var run ? ["segment", "-c", run, "-o", Path.Combine(run, RunFolder.LastFile), "--device", c.Device] : [],
            1, "is the --checkpoint ("),
        ["predict writing over its weights"] = (c => c.Weights() is var w ? c.Predict(w, c.File("x.npy", NpyFloats(1, 1, 8, 8)), w) : [],
            1, "is the --weights ("),
        ["predict writing over its input"] = (c => c.File("x.npy", NpyFloats(1, 1, 8, 8)) is var x ? c.Predict(c.Weights(), x, x) : [],
            1, "is the --input ("),
        ["predict writing over a hard link of its input"] = (c => c.File("x.npy", NpyFloats(1, 1, 8, 8)) is var x && HardLink(c.Path("same.npy"), x) is var same ? c.Predict(c.Weights(), x, same) : [],
            1, "is the --input ("),
        ["predict writing over its input through a linked folder"] = (c => c.File("in/x.npy", NpyFloats(1, 1, 8, 8)) is var x && Link(c.Path("alias"), c.Path("in")) is var alias
                ? c.Predict(c.Weights(), x, Path.Combine(alias, "x.npy")) : [],
            1, "is the --input ("),
        ["predict writing a run's step log"] = (c => c.CopyOfRun() is var run ? c.Predict(c.Weights(), c.File("x.npy", NpyFloats(1, 1, 8, 8)), Path.Combine(run, RunLog.StepsFile)) : [],
            1, "is the steps.csv of the run in"),
        ["predict writing a run's last checkpoint"] = (c => c.CopyOfRun() is var run ? c.Predict(c.Weights(), c.File("x.npy", NpyFloats(1, 1, 8, 8)), Path.Combine(run, RunFolder.LastFile)) : [],
            1, "is the last.safetensors of the run in"),
        ["predict writing through a link to its input"] = (c => c.File("x.npy", NpyFloats(1, 1, 8, 8)) is var x && Link(c.Path("y.npy"), x) is var link ? c.Predict(c.Weights(), x, link) : [],
            1, "is a symbolic link, not a regular file"),
    };

    private static string Link(string path, string target)
    {
        File.CreateSymbolicLink(path, target);
        return path;
    }

    private static string HardLink(string path, string target)
    {
        using var ln = System.Diagnostics.Process.Start("ln", [target, path])!;
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);
        return path;
    }
}
