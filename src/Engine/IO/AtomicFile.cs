using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Engine.IO;

/// <summary>
/// Atomic file writes: the content goes to a temporary file in the target's folder, is flushed to
/// disk, and is renamed over the target, so a reader (or a crash at any instant) sees the old file
/// or the new one, never a mix. Only a regular file is ever replaced: a directory, a device, a pipe,
/// a socket or a symbolic link at the target is refused before anything is written.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Writes what <paramref name="write"/> puts into the stream, atomically.</summary>
    /// <exception cref="IOException">The target is not a regular file, or the write failed (the old file is untouched).</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var writer = Begin(path);
        write(writer.Stream);
        writer.Commit();
    }

    /// <summary>
    /// Starts an atomic write: write to <see cref="AtomicWriter.Stream"/>, then <see cref="AtomicWriter.Commit"/>;
    /// disposing without committing removes the temporary and leaves the target as it was.
    /// </summary>
    public static AtomicWriter Begin(string path)
    {
        string full = CheckTarget(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        lock (Live)
        {
            if (s_abandoned)
                throw new OperationCanceledException($"Not writing '{path}': the process is stopping.");
            // FileShare.None holds an exclusive lock on the temporary while it is written: the mark
            // by which a cleaner tells it from one a killed process left (RemoveStaleTemporaries).
            var writer = new AtomicWriter(full, temporary, new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16));
            Live.Add(writer);
            return writer;
        }
    }

    // The writes in progress in this process, for AbandonAll.
    private static readonly HashSet<AtomicWriter> Live = [];
    private static bool s_abandoned;

    /// <summary>
    /// Renames a finished temporary over the target (the commit point) and makes the rename durable;
    /// then removes the temporaries other writers of the target left when they were killed.
    /// </summary>
    internal static void Replace(AtomicWriter writer, string temporary, string full)
    {
        lock (Live)
        {
            if (s_abandoned)
                throw new OperationCanceledException($"Not committing '{full}': the process is stopping.");
            CheckTarget(full); // it may have changed while the temporary was written
            File.Move(temporary, full, overwrite: true);
            Live.Remove(writer);
        }
        SyncDirectory(Path.GetDirectoryName(full)!);
        try
        {
            RemoveStaleTemporaries(Path.GetDirectoryName(full)!, Path.GetFileName(full));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write is committed; a temporary that cannot be removed now is removed next time.
        }
    }

    /// <summary>Forgets a write that ended without a commit (its temporary is removed by the writer).</summary>
    internal static void Forget(AtomicWriter writer)
    {
        lock (Live)
            Live.Remove(writer);
    }

    /// <summary>
    /// For a process that is being stopped (a signal): removes the temporary of every write in
    /// progress and makes every later commit or write fail, so nothing half-written stays and no
    /// target is replaced after this; returns how many temporaries were removed.
    /// </summary>
    public static int AbandonAll()
    {
        lock (Live)
        {
            s_abandoned = true;
            int removed = 0;
            foreach (var writer in Live)
                removed += writer.RemoveTemporary() ? 1 : 0;
            Live.Clear();
            return removed;
        }
    }

    /// <summary>Writes all bytes atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var writer = Begin(path);
        writer.Stream.Write(bytes);
        writer.Commit();
    }

    /// <summary>
    /// Checks that <paramref name="path"/> may be written: it is missing or a regular file, and its
    /// folder is a folder (or can be made). Returns the full path. Commands call this before any work.
    /// </summary>
    /// <exception cref="IOException">It names a directory, a device, a pipe, a socket or a link, or its folder is a file.</exception>
    public static string CheckTarget(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        var kind = PathKinds.Of(full);
        if (kind is not (PathKind.Missing or PathKind.RegularFile))
            throw new IOException($"'{path}' is {PathKinds.Describe(kind)}, not a regular file; the engine writes only regular files.");
        for (string? folder = Path.GetDirectoryName(full); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            var folderKind = PathKinds.Of(folder);
            if (folderKind == PathKind.Missing)
                continue;
            if (folderKind is not (PathKind.Directory or PathKind.SymbolicLink) || !Directory.Exists(folder))
                throw new IOException($"Cannot write '{path}': '{folder}' is {PathKinds.Describe(folderKind)}, not a folder.");
            break;
        }
        return full;
    }

    /// <summary>Whether a file name is one of this class's temporaries (<c>.name.&lt;32 hex&gt;.tmp</c>).</summary>
    public static bool IsTemporary(string fileName) => TemporaryName().IsMatch(Path.GetFileName(fileName));

    /// <summary>
    /// Deletes the temporaries a killed writer of <paramref name="targets"/> (file names in
    /// <paramref name="folder"/>) left there; returns how many. Only the caller knows no other
    /// process writes those targets now, so it names them.
    /// </summary>
    public static int RemoveStaleTemporaries(string folder, params string[] targets)
    {
        if (!Directory.Exists(folder))
            return 0;
        int removed = 0;
        foreach (string file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            string name = Path.GetFileName(file);
            bool ours = targets.Any(t => name.StartsWith($".{t}.", StringComparison.Ordinal));
            if (ours && IsTemporary(file) && PathKinds.Of(file) == PathKind.RegularFile && RemoveIfUnlocked(file))
                removed++;
        }
        return removed;
    }

    /// <summary>
    /// Deletes a temporary unless its writer still holds it: a writer holds an exclusive lock on its
    /// temporary until it commits or gives up, and the system drops the lock of a killed one.
    /// </summary>
    private static bool RemoveIfUnlocked(string file)
    {
        FileStream probe;
        try
        {
            probe = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.None);
        }
        catch (FileNotFoundException)
        {
            return false; // its writer committed or removed it meanwhile
        }
        catch (IOException)
        {
            return false; // locked: a write in progress
        }
        using (probe)
            File.Delete(file); // while holding the lock: no writer can take it up in between
        return true;
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original error matters more; the next start removes the temporary.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Makes the rename durable (POSIX: fsync the folder); a no-op where folders cannot be opened.</summary>
    private static void SyncDirectory(string folder)
    {
        if (OperatingSystem.IsWindows())
            return;
        int fd = Open(folder, 0 /* O_RDONLY */);
        if (fd < 0)
            return;
        _ = Fsync(fd);
        _ = Close(fd);
    }

    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TemporaryName();

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
