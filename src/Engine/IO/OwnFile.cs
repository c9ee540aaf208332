using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Engine.IO;

/// <summary>
/// Opening a file the engine writes in place (a run folder's lock, a log it appends to) so that it
/// writes only its own file: never through a symbolic link (<c>O_NOFOLLOW</c>: a <c>.lock</c> that
/// links elsewhere would create or change a file outside the folder), never a device, pipe or
/// socket (<c>O_NONBLOCK</c> keeps a pipe from blocking the open; the kind is checked on the open
/// file, so nothing can be swapped in between), and, for an append, never a file that has other
/// names (a hard link to a user's file would grow it).
/// </summary>
public static partial class OwnFile
{
    private const int ReadWrite = 2, WriteOnly = 1, Create = 0x40, Append = 0x400, NonBlock = 0x800, CloseOnExec = 0x80000;
    // O_NOFOLLOW is one of the flags whose value differs between Linux's architectures.
    private static int NoFollow => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;
    private const int LockExclusive = 2, LockNoBlock = 4;
    private const int WouldBlock = 11, Loop = 40;

    /// <summary>
    /// Takes <paramref name="path"/> as an exclusive lock (created when missing; the system releases
    /// it when the process ends, however it ends; disposing the lock removes the file).
    /// </summary>
    /// <exception cref="IOException">It is a link or not a regular file; or another process holds it (<see cref="Exception.HResult"/> is EWOULDBLOCK, 11).</exception>
    public static FileLock Lock(string path)
    {
        // A holder that lets go unlinks the file while still holding it (FileLock.Dispose): a lock
        // taken on a file opened just before that unlink is a lock on a file no longer at the path,
        // so the locked file is compared with the path's and, when they differ, the open is retried.
        for (int attempt = 1; ; attempt++)
        {
            if (LockOpened(OpenToLock(path), path) is { } held)
                return held;
            if (attempt == MaxLockAttempts)
                throw new IOException($"Cannot lock '{path}': it was removed or replaced {MaxLockAttempts} times while being locked.");
        }
    }

    /// <summary>Opens (creating it when missing) the file <see cref="Lock"/> locks, not yet locked.</summary>
    internal static SafeFileHandle OpenToLock(string path) => Open(path, ReadWrite | Create, "lock", requireSingleLink: false);

    /// <summary>
    /// Locks the file open in <paramref name="handle"/> (taking the handle); null, with the handle
    /// closed, when it is no longer the file at <paramref name="path"/> (a holder removed it on
    /// release after it was opened here), which a lock on would protect nothing.
    /// </summary>
    /// <exception cref="IOException">Another process holds it (<see cref="Exception.HResult"/> is EWOULDBLOCK, 11).</exception>
    internal static FileLock? LockOpened(SafeFileHandle handle, string path)
    {
        if (OperatingSystem.IsLinux() && Flock((int)handle.DangerousGetHandle(), LockExclusive | LockNoBlock) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException(error == WouldBlock ? $"'{path}' is held by another process." : $"Cannot lock '{path}' (errno {error}).") { HResult = error };
        }
        var locked = FileIdentity.Of(handle, path);
        if (FileIdentity.Of(path) is { } current && current.SameFileAs(locked))
            return new FileLock(new FileStream(handle, FileAccess.ReadWrite, 1), path, locked);
        handle.Dispose();
        return null;
    }

    /// <summary>How often a lock whose file was removed meanwhile is tried again: each removal is another process ending its run, so a few suffice.</summary>
    private const int MaxLockAttempts = 100;

    /// <summary>Opens <paramref name="path"/> to append to (created when missing).</summary>
    /// <exception cref="IOException">It is a link, not a regular file, or a file with other names.</exception>
    public static FileStream OpenAppend(string path) => new(Open(path, WriteOnly | Create | Append, "append to", requireSingleLink: true), FileAccess.Write, 1 << 16);

    private static SafeFileHandle Open(string path, int flags, string what, bool requireSingleLink)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!OperatingSystem.IsLinux())
        {
            // Elsewhere: the kind checked by path first (a link swapped in afterwards is not caught).
            var kind = PathKinds.Of(path);
            if (kind is not (PathKind.Missing or PathKind.RegularFile))
                throw new IOException($"'{path}' is {PathKinds.Describe(kind)}, not a regular file; the engine writes only its own regular files.");
            return (flags & Append) != 0
                ? File.OpenHandle(path, FileMode.Append, FileAccess.Write, FileShare.Read)
                : File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); // FileShare.None is the lock there
        }
        int fd = OpenFile(path, flags | NoFollow | NonBlock | CloseOnExec, Convert.ToInt32("644", 8));
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            var kind = PathKinds.Of(path);
            throw error == Loop || kind == PathKind.SymbolicLink
                ? new IOException($"'{path}' is a symbolic link; the engine does not {what} a file through a link.") { HResult = error }
                : kind is not (PathKind.Missing or PathKind.RegularFile)
                    ? new IOException($"'{path}' is {PathKinds.Describe(kind)}, not a regular file; the engine does not {what} it.") { HResult = error }
                    : new IOException($"Cannot {what} '{path}': {Marshal.GetPInvokeErrorMessage(error)}.") { HResult = error };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var identity = FileIdentity.Of(handle, path);
        if (identity.Kind != PathKind.RegularFile || requireSingleLink && identity.Links > 1)
        {
            handle.Dispose();
            throw new IOException(identity.Kind != PathKind.RegularFile
                ? $"'{path}' is {PathKinds.Describe(identity.Kind)}, not a regular file; the engine does not {what} it."
                : $"'{path}' has {identity.Links} names (hard links): it may be another file's too, so the engine does not {what} it; remove that link.");
        }
        return handle;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenFile(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
