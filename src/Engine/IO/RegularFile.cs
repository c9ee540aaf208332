namespace Engine.IO;

/// <summary>
/// Opening files to read: only a regular file (or a link to one) is opened; a directory, a device,
/// a pipe (which would block) or a socket is refused with a message that says which it is.
/// </summary>
public static class RegularFile
{
    /// <summary>Opens a regular file (or a link to one) for reading; anything else is refused by name.</summary>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    /// <exception cref="IOException">It is a directory, a device, a pipe or a socket, or cannot be read.</exception>
    public static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var kind = PathKinds.Of(path);
        if (kind == PathKind.SymbolicLink)
        {
            var target = File.ResolveLinkTarget(path, returnFinalTarget: true);
            kind = target is { Exists: true } ? PathKinds.Of(target.FullName) : Directory.Exists(target?.FullName) ? PathKind.Directory : PathKind.Missing;
        }
        if (kind == PathKind.Missing)
            throw new FileNotFoundException($"'{path}' does not exist.", path);
        if (kind != PathKind.RegularFile)
            throw new IOException($"'{path}' is {PathKinds.Describe(kind)}, not a file to read.");
        // FileShare.Delete: on Windows a reader must not stop a trainer renaming a new checkpoint over this one.
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
    }
}
