using Engine.Training;
using static Engine.Tests.Infrastructure.SampleFiles;

namespace Engine.Tests.Cli;

/// <summary>A resumed run is the same run: other data, another data folder or a checkpoint of another run is refused, named.</summary>
public sealed partial class HostileInputTests
{
    private static readonly Dictionary<string, (Setup Setup, int Exit, string Message)> ResumeCases = new()
    {
        ["resume after the training images were replaced (same count)"] = (c => c.IdxRun() is var (run, data)
                && Write(Path.Combine(data, "train-images-idx3-ubyte"), Idx(0x0803, [64, 28, 28], Enumerable.Range(0, 64 * 784).Select(i => (byte)(i * 11 % 256)).ToArray()))
                ? c.Resume(run) : [],
            1, "train-images-idx3-ubyte' has changed since the run began (the same 50,192 bytes, but SHA-256"),
        ["resume after the labels were replaced (same count)"] = (c => c.IdxRun() is var (run, data)
                && Write(Path.Combine(data, "train-labels-idx1-ubyte"), Idx(0x0801, [64], Enumerable.Range(0, 64).Select(i => (byte)((i + 3) % 10)).ToArray()))
                ? c.Resume(run) : [],
            1, "train-labels-idx1-ubyte' has changed since the run began"),
        ["resume after a test file was removed"] = (c => c.IdxRun() is var (run, data) && Remove(Path.Combine(data, "t10k-images-idx3-ubyte")) ? c.Resume(run) : [],
            1, "t10k-images-idx3-ubyte' (50,192 bytes), which is gone"),
        ["resume with --data of another folder"] = (c => c.IdxRun() is var (run, _) ? c.Resume(run, "--data", c.IdxFolder(name: "other")) : [],
            1, "--resume: this run was trained with --data '"),
        ["resume with a best checkpoint of another run dropped in"] = (c => c.CopyOfRun() is var run && CopyOtherBest(c, run) ? c.Resume(run) : [],
            1, "best.safetensors' is a checkpoint of another run (run "),
        ["resume with only another run's best beside the last"] = (c => c.CopyOfRun() is var run && CopyOtherBest(c, run, asLast: true) ? c.Resume(run) : [],
            1, "is a checkpoint of another run"),
    };

    private static bool Write(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        return true;
    }

    private static bool Remove(string path)
    {
        File.Delete(path);
        return true;
    }

    /// <summary>Puts the best checkpoint of the shared run, with another run id (as another run of the same settings has), into <paramref name="run"/>: as its best, or as its last.</summary>
    private static bool CopyOtherBest(Context c, string run, bool asLast = false)
    {
        string other = c.CopyOfRun("other");
        Context.EditInfo(Path.Combine(other, RunFolder.BestFile), info => System.Text.RegularExpressions.Regex.Replace(info, "\"RunId\":\"[0-9a-f]+\"", $"\"RunId\":\"{Guid.NewGuid():N}\""));
        File.Copy(Path.Combine(other, RunFolder.BestFile), Path.Combine(run, asLast ? RunFolder.LastFile : RunFolder.BestFile), overwrite: true);
        return true;
    }
}
