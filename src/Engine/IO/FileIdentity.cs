using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Engine.IO;

/// <summary>
/// Which file a path or an open handle is (its device and inode, after links), and how many names
/// it has: two paths that name one file (through a symbolic link, a hard link or a bind mount)
/// have one identity. On Linux through <c>statx(2)</c>; elsewhere the full path with links
/// resolved stands in for it.
/// </summary>
/// <param name="Device">The file system's device number (0 where unknown).</param>
/// <param name="Inode">The inode (0 where unknown).</param>
/// <param name="Links">Its hard links (1 where unknown).</param>
/// <param name="Kind">What it is (a link followed).</param>
/// <param name="ResolvedPath">The full path with every link resolved (where no inode is known, the identity itself).</param>
public readonly partial record struct FileIdentity(ulong Device, ulong Inode, uint Links, PathKind Kind, string ResolvedPath)
{
    private const int AtFdCwd = -100, AtEmptyPath = 0x1000;
    private const uint StatxType = 1, StatxMode = 2, StatxNlink = 4, StatxIno = 0x100;

    /// <summary>Whether the two name the same file.</summary>
    public bool SameFileAs(FileIdentity other) => Inode != 0 && other.Inode != 0
        ? Device == other.Device && Inode == other.Inode
        : string.Equals(ResolvedPath, other.ResolvedPath, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>The identity of what <paramref name="path"/> names, links followed; null when nothing is there.</summary>
    public static FileIdentity? Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string resolved = Resolve(full);
        if (OperatingSystem.IsLinux() && Linux(AtFdCwd, full, 0, resolved) is { } identity)
            return identity.Kind == PathKind.Missing ? null : identity;
        var kind = PathKinds.Of(resolved);
        return kind == PathKind.Missing ? null : new FileIdentity(0, 0, 1, kind, resolved);
    }

    /// <summary>The identity of an open file.</summary>
    public static FileIdentity Of(SafeFileHandle handle, string path)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (OperatingSystem.IsLinux() && Linux((int)handle.DangerousGetHandle(), "", AtEmptyPath, path) is { } identity)
            return identity;
        return new FileIdentity(0, 0, 1, PathKind.RegularFile, Path.GetFullPath(path));
    }

    /// <summary>The full path with every symbolic link along it resolved (what is missing kept as it is).</summary>
    public static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            string? parent = Path.GetDirectoryName(full);
            string folder = parent is null ? full : Resolve(parent);
            string joined = parent is null ? full : Path.Combine(folder, Path.GetFileName(full));
            var info = new FileInfo(joined);
            return info.LinkTarget is null ? joined : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName is string target ? Resolve(target) : joined;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return full; // a loop of links or a folder that cannot be read: the path as given
        }
    }

    private static FileIdentity? Linux(int directory, string path, int flags, string resolved)
    {
        const int NoEntry = 2, NotDirectory = 20;
        Span<byte> buffer = stackalloc byte[512]; // struct statx is 256 bytes, the same on every architecture
        buffer.Clear();
        int result;
        try
        {
            result = Statx(directory, path, flags, StatxType | StatxMode | StatxNlink | StatxIno, ref MemoryMarshal.GetReference(buffer));
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        if (result != 0)
            return Marshal.GetLastPInvokeError() is NoEntry or NotDirectory ? new FileIdentity(0, 0, 0, PathKind.Missing, resolved) : null;
        uint links = BitConverter.ToUInt32(buffer[16..]);
        int mode = BitConverter.ToUInt16(buffer[28..]);
        ulong inode = BitConverter.ToUInt64(buffer[32..]);
        ulong device = ((ulong)BitConverter.ToUInt32(buffer[136..]) << 32) | BitConverter.ToUInt32(buffer[140..]);
        return new FileIdentity(device, inode, links, PathKinds.FromMode(mode), resolved);
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}
