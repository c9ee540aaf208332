using Engine.Checkpoints;
using Engine.Devices;
using Engine.IO;
using Engine.Modules;
using Engine.Optim;

namespace Engine.Training;

/// <summary>
/// A training run's folder: <c>last.safetensors</c>, the latest committed checkpoint, and
/// <c>best.safetensors</c>, the one with the best test metric so far. Each is one file holding the
/// model, the optimiser, the random state and <see cref="CheckpointInfo"/> (see
/// <see cref="TrainingCheckpoint"/>), written atomically: a crash at any instant leaves every
/// committed checkpoint loadable. A folder that holds a run is never reused without being asked,
/// and one training process at a time owns it (an exclusive lock on <c>.lock</c>, released by the
/// system even when the process is killed).
/// </summary>
public sealed class RunFolder : IDisposable
{
    /// <summary>The latest committed checkpoint's file name.</summary>
    public const string LastFile = "last.safetensors";
    /// <summary>The best checkpoint's file name.</summary>
    public const string BestFile = "best.safetensors";
    private const string InfoKey = "engine.run";
    private const string LockFile = ".lock";
    private const string ProbeFile = ".write-probe";

    private readonly string[] _files;
    private FileStream? _lock;
    private bool _replacePending;

    /// <summary>A run folder at <paramref name="path"/> (nothing is touched until it is prepared).</summary>
    /// <param name="path">The folder.</param>
    /// <param name="moreFiles">Files the program writes into the folder beside the checkpoints and <see cref="RunLog"/>'s (the command line's <c>curves.png</c>): checked and cleaned up alike.</param>
    public RunFolder(string path, IReadOnlyList<string>? moreFiles = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        _files = [LastFile, BestFile, .. RunLog.Files, .. moreFiles ?? []];
        LastPath = System.IO.Path.Combine(path, LastFile);
        BestPath = System.IO.Path.Combine(path, BestFile);
    }

    /// <summary>The folder, as given.</summary>
    public string Path { get; }

    /// <summary>The latest checkpoint.</summary>
    public string LastPath { get; }

    /// <summary>The best checkpoint.</summary>
    public string BestPath { get; }

    /// <summary>Whether the folder holds a run (either checkpoint).</summary>
    public bool HoldsRun => File.Exists(LastPath) || File.Exists(BestPath);

    /// <summary>After <see cref="PrepareResume"/>: the checkpoint the run continues from (null for a new run).</summary>
    public CheckpointInfo? Resumed { get; private set; }

    /// <summary>Whether <see cref="PrepareNew"/> or <see cref="PrepareResume"/> has taken the folder.</summary>
    public bool IsPrepared => _lock is not null;

    /// <summary>
    /// Takes the folder for a new run: it is a folder or can be made, no other process trains in it,
    /// it holds no run unless <paramref name="overwrite"/>, and it can be written; removes the
    /// temporaries a killed run left. An overwritten run stays until the new run's first commit.
    /// </summary>
    /// <exception cref="RunExistsException">The folder holds a run and <paramref name="overwrite"/> is false.</exception>
    public void PrepareNew(bool overwrite)
    {
        Take();
        if (HoldsRun && !overwrite)
            throw new RunExistsException(Path, Describe());
        _replacePending = overwrite && HoldsRun;
        PrepareWritable();
    }

    /// <summary>
    /// Takes the folder of a run to resume, removes the temporaries a killed run left and returns
    /// the newest committed checkpoint. That is the last one, unless a crash came between the
    /// commit of a new best checkpoint and of the last one: then the best is newer, and is first
    /// copied over the last.
    /// </summary>
    public CheckpointInfo PrepareResume()
    {
        Take();
        bool hasLast = File.Exists(LastPath), hasBest = File.Exists(BestPath);
        if (!hasLast && !hasBest)
            throw new FileNotFoundException($"There is no checkpoint '{LastPath}' to resume from.", LastPath);
        PrepareWritable();
        var last = hasLast ? ReadInfo(LastPath) : null;
        var best = hasBest ? ReadInfo(BestPath) : null;
        if (best is not null && (last is null || best.GlobalStep > last.GlobalStep))
        {
            AtomicFile.Write(LastPath, target =>
            {
                using var source = RegularFile.OpenRead(BestPath);
                source.CopyTo(target);
            });
            last = best;
        }
        Resumed = last!;
        return Resumed;
    }

    /// <summary>
    /// For a data-parallel rank other than 0: reads the checkpoint rank 0 resumes from, after rank 0
    /// has prepared the folder (<see cref="PrepareResume"/>; the folder lies on a file system every
    /// rank sees), without taking the folder, which stays rank 0's.
    /// </summary>
    public CheckpointInfo JoinResume()
    {
        Resumed = ReadInfo(LastPath);
        return Resumed;
    }

    /// <summary>Refuses to start when the disk cannot take the checkpoints: <paramref name="copies"/> files of <paramref name="checkpointBytes"/>.</summary>
    internal void CheckSpace(long checkpointBytes, int copies)
    {
        long needed = copies * checkpointBytes;
        long free;
        try
        {
            free = new DriveInfo(System.IO.Path.GetFullPath(Path)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return; // no figure to check against; a failed write still leaves the last commit intact
        }
        if (free < needed)
            throw new IOException($"'{Path}' has {ByteSize.MiB(free)} free on its disk, but the run's checkpoints need {ByteSize.MiB(needed)} ({copies} of {ByteSize.MiB(checkpointBytes)}).");
    }

    /// <summary>
    /// Commits a checkpoint: the best one first when <paramref name="isBest"/>, then the last one.
    /// The first commit of a run that replaces another deletes the old best checkpoint before
    /// anything else, so the folder never holds checkpoints of two runs at once.
    /// </summary>
    internal void Commit(Module model, Optimizer optimizer, CheckpointInfo info, bool isBest)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (_replacePending)
        {
            File.Delete(BestPath);
            _replacePending = false;
        }
        var metadata = new Dictionary<string, string> { [InfoKey] = info.ToJson() };
        if (isBest)
            TrainingCheckpoint.Save(BestPath, model, optimizer, metadata);
        TrainingCheckpoint.Save(LastPath, model, optimizer, metadata);
        RunLog.Write(Path, info); // after the commit: the log never runs ahead of the checkpoint
    }

    /// <summary>The run information of a checkpoint file; a file without it is reported, not guessed at.</summary>
    public static CheckpointInfo ReadInfo(string file)
    {
        var metadata = TrainingCheckpoint.ReadMetadata(file);
        if (!metadata.TryGetValue(InfoKey, out var json))
            throw new InvalidDataException($"'{file}' is a state dict without training information ({InfoKey}); load plain weights with StateDict.Load (on the command line: predict --model).");
        return CheckpointInfo.Parse(json, $"'{file}'");
    }

    /// <summary>The checkpoint file a command was given: a run folder means its last checkpoint.</summary>
    public static string CheckpointFile(string path) => Directory.Exists(path) ? System.IO.Path.Combine(path, LastFile) : path;

    /// <summary>The run folder of a checkpoint path that names the folder or one of its files.</summary>
    public static string FolderOf(string path) => Directory.Exists(path) ? path : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;

    /// <summary>Releases the folder.</summary>
    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }

    private string Describe()
    {
        try
        {
            var info = ReadInfo(File.Exists(LastPath) ? LastPath : BestPath);
            string where = info.Step == 0 ? $"epoch {info.Epoch} of {info.Options.Epochs}" : $"epoch {info.Epoch + 1} of {info.Options.Epochs}, step {info.Step}";
            return info.Value is double value ? $"{info.Task}, {where}, {info.Metric} {info.Show(value)}" : $"{info.Task}, {where}";
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return "an unreadable checkpoint";
        }
    }

    /// <summary>Checks the folder can hold checkpoints, makes it, and locks it against other training processes.</summary>
    private void Take()
    {
        var kind = PathKinds.Of(Path);
        if (kind is not (PathKind.Missing or PathKind.Directory) && !(kind == PathKind.SymbolicLink && Directory.Exists(Path)))
            throw new IOException($"'{Path}' is {PathKinds.Describe(kind)}, not a run folder.");
        foreach (string file in _files.Select(f => System.IO.Path.Combine(Path, f)))
            AtomicFile.CheckTarget(file);
        string lockPath = System.IO.Path.Combine(Path, LockFile);
        try
        {
            Directory.CreateDirectory(Path);
            _lock = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(lockPath) && e is not PathTooLongException)
        {
            throw new IOException($"'{Path}' is in use by another training process (it holds '{lockPath}'): wait for it, or choose another folder with -o.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write checkpoints into '{Path}': {e.Message}", e);
        }
    }

    /// <summary>Removes the temporaries of checkpoint writes a killed run left and proves the folder writable with a probe file.</summary>
    private void PrepareWritable()
    {
        try
        {
            AtomicFile.RemoveStaleTemporaries(Path, [ProbeFile, .. _files]);
            AtomicFile.WriteAllBytes(System.IO.Path.Combine(Path, ProbeFile), [1]);
            File.Delete(System.IO.Path.Combine(Path, ProbeFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write checkpoints into '{Path}': {e.Message}", e);
        }
    }
}
