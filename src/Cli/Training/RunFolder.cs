using Engine.Checkpoints;
using Engine.Devices;
using Engine.IO;
using Engine.Modules;
using Engine.Optim;

namespace Engine.Cli.Training;

/// <summary>
/// A training run's folder: <c>last.safetensors</c>, the latest committed checkpoint, and
/// <c>best.safetensors</c>, the one with the best test metric so far. Each is one file holding the
/// model, the optimiser, the random state and <see cref="CheckpointInfo"/> (see
/// <see cref="TrainingCheckpoint"/>), written atomically: a crash at any instant leaves every
/// committed checkpoint loadable. A folder that holds a run is never reused without being asked.
/// </summary>
internal sealed class RunFolder
{
    internal const string LastFile = "last.safetensors";
    internal const string BestFile = "best.safetensors";
    private const string InfoKey = "engine.run";

    public RunFolder(string path)
    {
        Path = path;
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

    /// <summary>
    /// Checks the folder for a new run: it is a folder or can be made, holds no run unless
    /// <paramref name="overwrite"/>, and can be written; removes temporaries a killed run left.
    /// </summary>
    public void PrepareNew(bool overwrite)
    {
        CheckIsFolder();
        if (HoldsRun && !overwrite)
            throw new IOException($"'{Path}' holds a run ({Describe()}): continue it with --resume, replace it with --overwrite, or choose another folder with -o.");
        PrepareWritable();
    }

    /// <summary>Checks the folder of a run to resume and removes the temporaries a killed run left; returns its last checkpoint.</summary>
    public CheckpointInfo PrepareResume()
    {
        CheckIsFolder();
        if (!File.Exists(LastPath))
            throw new FileNotFoundException($"--resume: there is no checkpoint '{LastPath}' to resume from.", LastPath);
        PrepareWritable();
        return ReadInfo(LastPath);
    }

    /// <summary>Deletes the checkpoints of the run being replaced (--overwrite, after every check passed).</summary>
    public void Clear()
    {
        File.Delete(BestPath);
        File.Delete(LastPath);
    }

    /// <summary>Refuses to start when the disk cannot take the checkpoints: two files and a temporary of <paramref name="checkpointBytes"/>.</summary>
    public void CheckSpace(long checkpointBytes)
    {
        long needed = 3 * checkpointBytes;
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
            throw new IOException($"'{Path}' has {OutOfDeviceMemoryException.MiB(free)} free on its disk, but the run's checkpoints need {OutOfDeviceMemoryException.MiB(needed)} (last, best and a temporary of {OutOfDeviceMemoryException.MiB(checkpointBytes)}).");
    }

    /// <summary>Commits a checkpoint: the best one first when <paramref name="isBest"/>, then the last one.</summary>
    public void Commit(Module model, Optimizer optimizer, CheckpointInfo info, bool isBest)
    {
        var metadata = new Dictionary<string, string> { [InfoKey] = info.ToJson() };
        if (isBest)
            TrainingCheckpoint.Save(BestPath, model, optimizer, metadata);
        TrainingCheckpoint.Save(LastPath, model, optimizer, metadata);
    }

    /// <summary>The run information of a checkpoint file; a file without it is reported, not guessed at.</summary>
    public static CheckpointInfo ReadInfo(string file)
    {
        var metadata = TrainingCheckpoint.ReadMetadata(file);
        if (!metadata.TryGetValue(InfoKey, out var json))
            throw new InvalidDataException($"'{file}' is a state dict without training information ({InfoKey}); use predict with --model for plain weights.");
        return CheckpointInfo.Parse(json, $"'{file}'");
    }

    /// <summary>The checkpoint file a command was given: a run folder means its last checkpoint.</summary>
    public static string CheckpointFile(string path) => Directory.Exists(path) ? System.IO.Path.Combine(path, LastFile) : path;

    /// <summary>The run folder of a checkpoint path that names the folder or one of its files.</summary>
    public static string FolderOf(string path) => Directory.Exists(path) ? path : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;

    private string Describe()
    {
        try
        {
            var info = ReadInfo(File.Exists(LastPath) ? LastPath : BestPath);
            string where = info.Step == 0 ? $"epoch {info.Epoch} of {info.Settings.Epochs}" : $"epoch {info.Epoch + 1} of {info.Settings.Epochs}, step {info.Step}";
            return info.Value is double value ? $"{info.Task}, {where}, {info.Metric} {info.Show(value)}" : $"{info.Task}, {where}";
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return "an unreadable checkpoint";
        }
    }

    private void CheckIsFolder()
    {
        var kind = PathKinds.Of(Path);
        if (kind is not (PathKind.Missing or PathKind.Directory) && !(kind == PathKind.SymbolicLink && Directory.Exists(Path)))
            throw new IOException($"'{Path}' is {PathKinds.Describe(kind)}, not a run folder.");
        foreach (string file in new[] { LastPath, BestPath })
            AtomicFile.CheckTarget(file);
    }

    /// <summary>Makes the folder, proves it writable with a probe file, and removes stale temporaries.</summary>
    private void PrepareWritable()
    {
        try
        {
            Directory.CreateDirectory(Path);
            AtomicFile.RemoveStaleTemporaries(Path);
            AtomicFile.WriteAllBytes(System.IO.Path.Combine(Path, ".write-probe"), [1]);
            File.Delete(System.IO.Path.Combine(Path, ".write-probe"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write checkpoints into '{Path}': {e.Message}", e);
        }
    }
}
