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
/// system even when the process is killed; the file is removed when the run ends, by an error or a
/// signal too, see <see cref="FileLock"/>).
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

    /// <summary>
    /// The files of a run folder that only its training process writes: the checkpoints, the logs and
    /// the lock. A command that writes elsewhere must not take these names in a folder holding a run.
    /// </summary>
    public static IReadOnlyList<string> OwnFiles { get; } = [LastFile, BestFile, .. RunLog.Files, LockFile];

    private readonly string[] _files;
    private FileLock? _lock;
    private bool _replacePending;
    // The step through which steps.csv holds the log, and whether the next commit writes the file anew (a new run's first).
    private long _stepsWrittenThrough;
    private bool _stepsFresh = true;

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
        // Before the lock is taken (which creates the folder and a file in it): a folder of other
        // things is left exactly as it was.
        CheckPaths();
        if (!overwrite && Directory.Exists(Path) && !HoldsRun && ForeignEntries() is { Count: > 0 } foreign)
            throw new ForeignFilesException(Path, foreign);
        Take();
        if (HoldsRun && !overwrite)
            throw new RunExistsException(Path, Describe());
        _replacePending = overwrite && HoldsRun;
        _stepsWrittenThrough = 0;
        _stepsFresh = true;
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
        if (last is not null && best is not null && !best.IsSameRun(last))
            throw new InvalidDataException($"'{BestPath}' is a checkpoint of another run ({Identify(best)}) than '{LastPath}' ({Identify(last)}): move it out of '{Path}' to resume. Nothing was changed.");
        if (best is not null && (last is null || best.GlobalStep > last.GlobalStep))
        {
            AtomicFile.Write(LastPath, target =>
            {
                using var source = RegularFile.OpenRead(BestPath);
                source.CopyTo(target);
            });
            last = best;
        }
        // The step log: steps.csv through what the checkpoint says it held, then the checkpoint's own records.
        last = last! with { StepLog = RunLog.RecoverSteps(Path, last), StepLogWrittenThrough = last.GlobalStep };
        _stepsWrittenThrough = last.GlobalStep;
        _stepsFresh = false;
        Resumed = last;
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

    /// <summary>
    /// Most step records a checkpoint's header carries (those logged between two commits, about 120
    /// bytes each in it): far below what a reader accepts (<see cref="SafeTensorsFile.MaxHeaderBytes"/>).
    /// </summary>
    public const int MostStepRecordsPerCommit = 100_000;

    /// <summary>Most epochs a run's checkpoints can log (the epoch log stays in the header, about 170 bytes an epoch).</summary>
    public const int MostEpochs = 100_000;

    /// <summary>Step records logged between two commits, at most: an epoch's steps, or <paramref name="saveEvery"/>'s, every <paramref name="logEvery"/>-th.</summary>
    public static long StepRecordsPerCommit(int stepsPerEpoch, int? saveEvery, int logEvery) =>
        (Math.Min(stepsPerEpoch, saveEvery ?? stepsPerEpoch) + (long)logEvery - 1) / logEvery + 1;

    /// <summary>
    /// Refuses, before a run starts, options whose logs would make a checkpoint header larger than
    /// a reader accepts: the run would fail at a commit, hours in.
    /// </summary>
    internal static void CheckLogsFit(TrainingOptions options, int stepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Epochs > MostEpochs)
            throw new ArgumentException($"{options.Epochs} epochs would log more epochs than a checkpoint's header holds ({MostEpochs:N0} at most).");
        long records = StepRecordsPerCommit(stepsPerEpoch, options.SaveEvery, options.LogEvery);
        if (records > MostStepRecordsPerCommit)
            throw new ArgumentException($"Logging every {options.LogEvery} step(s) over {Math.Min(stepsPerEpoch, options.SaveEvery ?? stepsPerEpoch):N0} steps between commits keeps {records:N0} step records in a checkpoint, " +
                $"more than it holds ({MostStepRecordsPerCommit:N0}): log less often (LogEvery) or commit more often (SaveEvery).");
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
        // The header holds the step records logged since the last commit only; steps.csv the rest.
        var tail = info.StepLog.SkipWhile(r => r.Step <= _stepsWrittenThrough).ToList();
        var recorded = info with { Format = CheckpointInfo.CurrentFormat, StepLog = tail, StepLogWrittenThrough = _stepsWrittenThrough };
        string json = recorded.ToJson();
        CheckReadable(json);
        var metadata = new Dictionary<string, string> { [InfoKey] = json };
        // The best first, so that a crash between the two leaves a last that a resume repeats from.
        TrainingCheckpoint.Save(isBest ? [BestPath, LastPath] : [LastPath], model, optimizer, metadata);
        // After the commit: the logs never run ahead of the checkpoint (a crash before the append
        // leaves the records in the checkpoint, from which a resume writes them).
        RunLog.AppendSteps(Path, tail, _stepsFresh);
        _stepsFresh = false;
        _stepsWrittenThrough = info.GlobalStep;
        RunLog.WriteEpochs(Path, info);
    }

    /// <summary>
    /// Refuses to commit run information that the reader would refuse (a value out of its ranges,
    /// a step log longer than its header holds): the commit would replace good checkpoints with
    /// ones that cannot be resumed or evaluated.
    /// </summary>
    private void CheckReadable(string json)
    {
        try
        {
            CheckpointInfo.Parse(json, $"'{LastPath}'");
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Not committing: {e.Message} The checkpoints committed before are intact.", e);
        }
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

    /// <summary>
    /// What the folder holds besides its lock and the temporaries of its own files (which a killed
    /// run leaves): in a folder without a run, a user's things, which a new run must not replace
    /// unasked. Sorted, for a message that does not change from one try to the next.
    /// </summary>
    private List<string> ForeignEntries() =>
        Directory.EnumerateFileSystemEntries(Path).Select(e => System.IO.Path.GetFileName(e))
            .Where(name => name != LockFile && !(AtomicFile.IsTemporary(name) && _files.Append(ProbeFile).Any(f => name.StartsWith($".{f}.", StringComparison.Ordinal))))
            .Order(StringComparer.Ordinal).ToList();

    private static string Identify(CheckpointInfo info) =>
        $"{(info.RunId is null ? "no run id" : $"run {info.RunId[..8]}")}, {info.Task}, seed {info.Options.Seed}, {info.Position}";

    /// <summary>Checks the folder can hold checkpoints, makes it, and locks it against other training processes.</summary>
    private void Take()
    {
        CheckPaths();
        string lockPath = System.IO.Path.Combine(Path, LockFile);
        try
        {
            Directory.CreateDirectory(Path);
            _lock = OwnFile.Lock(lockPath);
        }
        catch (IOException e) when (IsHeldElsewhere(e))
        {
            throw new IOException($"'{Path}' is in use by another training process (it holds '{lockPath}'): wait for it, or choose another folder with -o.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write checkpoints into '{Path}': {e.Message}", e);
        }
    }

    /// <summary>Checks, touching nothing, that the folder is a folder (or missing) and that each of the run's files is a regular file or missing.</summary>
    private void CheckPaths()
    {
        var kind = PathKinds.Of(Path);
        if (kind is not (PathKind.Missing or PathKind.Directory) && !(kind == PathKind.SymbolicLink && Directory.Exists(Path)))
            throw new IOException($"'{Path}' is {PathKinds.Describe(kind)}, not a run folder.");
        foreach (string file in _files.Select(f => System.IO.Path.Combine(Path, f)))
            AtomicFile.CheckTarget(file);
    }

    /// <summary>
    /// Whether taking the lock failed because another process holds it (EWOULDBLOCK on Linux, 11;
    /// 35 on macOS; a sharing violation on Windows), not because the folder cannot be written (a
    /// read-only file system, EROFS, is not a training process).
    /// </summary>
    private static bool IsHeldElsewhere(IOException e) => e.HResult is 11 or 35 or unchecked((int)0x80070020);

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
