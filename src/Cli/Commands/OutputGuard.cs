using Engine.Cli.Imaging;
using Engine.IO;
using Engine.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// What a command may write, checked before it computes anything: only a regular file or a new
/// one (<see cref="AtomicFile.CheckTarget"/>), never a file the command reads (the same file
/// however it is named: through a symbolic link, a hard link or another spelling of the path),
/// and never a file of a run folder (checkpoints, logs, lock, curves), which belong to the run.
/// </summary>
internal static class OutputGuard
{
    /// <summary>The run folder's files, as the command line writes them (the library's and the curves).</summary>
    private static readonly IReadOnlyList<string> RunFiles = [.. RunFolder.OwnFiles, CurvePlot.File];

    /// <summary>Checks <paramref name="output"/>, given by <paramref name="option"/>, against the <paramref name="inputs"/> the command reads; returns its full path.</summary>
    /// <exception cref="IOException">It is not a regular file, or it is an input or a run's file; the message names both.</exception>
    public static string Check(string option, string output, IEnumerable<(string What, string Path)> inputs)
    {
        string full = AtomicFile.CheckTarget(output);
        if (FileIdentity.Of(full) is { } target)
        {
            foreach (var (what, path) in inputs)
            {
                if (FileIdentity.Of(path) is { } input && input.SameFileAs(target))
                    throw new IOException($"{option} '{output}' is {what} ('{path}'), which this command reads: writing it would replace it. Choose another {option}.");
            }
        }
        string folder = FileIdentity.Resolve(Path.GetDirectoryName(full)!);
        string name = Path.GetFileName(full);
        if (RunFiles.Contains(name) && (File.Exists(Path.Combine(folder, RunFolder.LastFile)) || File.Exists(Path.Combine(folder, RunFolder.BestFile))))
            throw new IOException($"{option} '{output}' is the {name} of the run in '{Path.GetDirectoryName(full)}', which only its training writes. Choose another {option}.");
        return full;
    }
}
