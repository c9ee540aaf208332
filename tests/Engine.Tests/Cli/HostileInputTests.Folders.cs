using System.Diagnostics;
using Engine.Training;

namespace Engine.Tests.Cli;

/// <summary>The run folder is the run's: a folder holding other things is not taken unasked, and the lock and the run's files are never links or anything but regular files.</summary>
public sealed partial class HostileInputTests
{
    private static readonly Dictionary<string, (Setup Setup, int Exit, string Message)> FolderCases = new()
    {
        ["train into a folder holding a user's own logs"] = (c => Write(c.Path("mine/epochs.csv"), "my,own\n") is var _ && Write(c.Path("mine/steps.csv"), "my,own\n") is var _
                ? c.Train("resnet", "--limit", "32", "--batch-size", "16", "-o", c.Path("mine")) : [],
            1, "holds 'epochs.csv', 'steps.csv' and no run: train writes a run's files there"),
        ["train into a folder holding other files"] = (c => Write(c.Path("notes/todo.txt"), "x") is var _ && Write(c.Path("notes/a.txt"), "x") is var _ && Write(c.Path("notes/b.txt"), "x") is var _ && Write(c.Path("notes/c.txt"), "x") is var _
                ? c.Train("resnet", "--limit", "32", "--batch-size", "16", "-o", c.Path("notes")) : [],
            1, "holds 'a.txt', 'b.txt', 'c.txt' and 1 more and no run"),
        ["train into the data folder"] = (c => c.IdxFolder() is var data ? c.Train("resnet", "--dataset", "mnist", "--data", data, "--limit", "32", "--batch-size", "16", "-o", data) : [],
            1, "holds 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'train-images-idx3-ubyte' and 1 more and no run"),
        ["train into a link to a system folder"] = (c => Link(c.Path("etc"), "/etc") is var etc ? c.Train("resnet", "--limit", "32", "--batch-size", "16", "-o", etc) : [],
            1, "and no run: train writes a run's files there"),
        ["a lock that links outside the folder"] = (c => Directory.CreateDirectory(c.Path("run")) is var _ && Link(c.Path("run/.lock"), c.Path("outside.txt")) is var _
                ? c.Train("resnet", "--limit", "32", "--batch-size", "16", "-o", c.Path("run")) : [],
            1, ".lock' is a symbolic link; the engine does not lock a file through a link"),
        ["a lock that is a named pipe"] = (c => Directory.CreateDirectory(c.Path("run")) is var _ && MakeFifo(c.Path("run/.lock")) ? c.Train("resnet", "--limit", "32", "--batch-size", "16", "-o", c.Path("run")) : [],
            1, ".lock' is a named pipe, not a regular file"),
        ["a lock that is a directory"] = (c => Directory.CreateDirectory(c.Path("run/.lock")) is var _ ? c.Train("resnet", "--limit", "32", "--batch-size", "16", "-o", c.Path("run")) : [],
            1, ".lock' is a directory, not a regular file"),
        ["resume a run whose epoch log links elsewhere"] = (c => c.CopyOfRun() is var run && Relink(Path.Combine(run, RunLog.EpochsFile), c.File("mine.csv", "precious\n"u8.ToArray())) ? c.Resume(run) : [],
            1, "epochs.csv' is a symbolic link, not a regular file"),
        ["resume a run whose curves are a link"] = (c => c.CopyOfRun() is var run && Relink(Path.Combine(run, "curves.png"), c.File("mine.png", [1, 2, 3])) ? c.Resume(run) : [],
            1, "curves.png' is a symbolic link, not a regular file"),
    };

    private static bool Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return true;
    }

    private static bool MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        return mkfifo.ExitCode == 0;
    }
}
