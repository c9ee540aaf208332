using System.Runtime.InteropServices;

namespace Engine.IO;

/// <summary>What a path names, without following a final symbolic link.</summary>
public enum PathKind
{
    /// <summary>Nothing.</summary>
    Missing,
    /// <summary>A regular file.</summary>
    RegularFile,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A symbolic link.</summary>
    SymbolicLink,
    /// <summary>A character device (<c>/dev/null</c>).</summary>
    CharacterDevice,
    /// <summary>A block device.</summary>
    BlockDevice,
    /// <summary>A named pipe.</summary>
    Fifo,
    /// <summary>A Unix socket.</summary>
    Socket,
}

/// <summary>
/// Tells regular files from devices, pipes and sockets, which .NET's <see cref="FileInfo"/> reports
/// alike: on Linux through <c>statx(2)</c>, whose buffer layout is the same on every architecture.
/// </summary>
public static partial class PathKinds
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxType = 1, ModeOffset = 28;

    /// <summary>The kind of <paramref name="path"/> (a final symbolic link is reported, not followed).</summary>
    public static PathKind Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        if (OperatingSystem.IsLinux() && LinuxKind(full) is PathKind kind)
            return kind;
        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
            return PathKind.SymbolicLink;
        if (System.IO.Directory.Exists(full))
            return PathKind.Directory;
        return info.Exists ? PathKind.RegularFile : PathKind.Missing;
    }

    /// <summary>"a directory", "a character device", ...: for messages.</summary>
    public static string Describe(PathKind kind) => kind switch
    {
        PathKind.Missing => "missing",
        PathKind.RegularFile => "a regular file",
        PathKind.Directory => "a directory",
        PathKind.SymbolicLink => "a symbolic link",
        PathKind.CharacterDevice => "a character device",
        PathKind.BlockDevice => "a block device",
        PathKind.Fifo => "a named pipe",
        _ => "a socket",
    };

    /// <summary>The kind from statx, or null when statx is unavailable (old kernel or libc) or fails otherwise.</summary>
    private static PathKind? LinuxKind(string path)
    {
        const int NoEntry = 2, NotDirectory = 20;
        Span<byte> buffer = stackalloc byte[512]; // struct statx is 256 bytes
        buffer.Clear();
        int result;
        try
        {
            result = Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, ref MemoryMarshal.GetReference(buffer));
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        if (result != 0)
            return Marshal.GetLastPInvokeError() is NoEntry or NotDirectory ? PathKind.Missing : null;
        int mode = BitConverter.ToUInt16(buffer[ModeOffset..]) & 0xF000;
        return mode switch
        {
            0x8000 => PathKind.RegularFile,
            0x4000 => PathKind.Directory,
            0xA000 => PathKind.SymbolicLink,
            0x2000 => PathKind.CharacterDevice,
            0x6000 => PathKind.BlockDevice,
            0x1000 => PathKind.Fifo,
            _ => PathKind.Socket,
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}
