namespace Engine.IO;

/// <summary>
/// An exclusive lock on a file (from <see cref="OwnFile.Lock"/>) that removes the file when it is
/// released, so that nothing is left behind after the work it protected. The file is unlinked while
/// the lock is still held (on Unix): a process that opened the file before the unlink then takes
/// the lock of a file that has no name any more, sees so (<see cref="OwnFile.Lock"/> compares the
/// locked file with the one at the path) and locks the file now at the path instead; so two
/// processes never both hold "the" lock. On Windows an open file cannot be deleted: the file is
/// closed first and deleted unless another process has opened it meanwhile.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;
    private readonly FileIdentity _identity;
    private bool _released;

    internal FileLock(FileStream stream, string path, FileIdentity identity)
    {
        _stream = stream;
        Path = path;
        _identity = identity;
    }

    /// <summary>The locked file.</summary>
    public string Path { get; }

    /// <summary>Removes the file (when it is still the one locked) and releases the lock.</summary>
    public void Dispose()
    {
        if (_released)
            return;
        _released = true;
        if (OperatingSystem.IsWindows())
        {
            _stream.Dispose();
            RemoveQuietly();
            return;
        }
        try
        {
            // Only the holder removes the file, so the path names ours unless a user removed it by
            // hand and another process has made and locked a new one: that one is left alone.
            if (FileIdentity.Of(Path) is { } now && now.SameFileAs(_identity))
                RemoveQuietly();
        }
        finally
        {
            _stream.Dispose();
        }
    }

    /// <summary>The lock file left behind is only untidy (the next run locks it again), never a reason to fail a run that has ended.</summary>
    private void RemoveQuietly()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
