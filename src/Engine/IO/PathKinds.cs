using System.Runtime.InteropServices;

namespace Engine.IO;

/// <summary>
/// Tells regular files from devices, pipes and sockets, which .NET's <see cref="FileInfo"/> reports
/// alike: on Linux through <c>statx(2)</c>, whose buffer layout is the same on every architecture,
/// on macOS through <c>lstat(2)</c> (its <c>st_mode</c> is the 16 bits at offset 4). Windows has
/// no such files in its file system namespace.
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
        if (OperatingSystem.IsMacOS() && MacKind(full) is PathKind macKind)
            return macKind;
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
        return FromMode(BitConverter.ToUInt16(buffer[ModeOffset..]));
    }

    /// <summary>The kind from lstat on macOS, or null when it fails otherwise than by absence.</summary>
    private static PathKind? MacKind(string path)
    {
        const int NoEntry = 2, NotDirectory = 20;
        Span<byte> buffer = stackalloc byte[512]; // struct stat is 144 bytes
        buffer.Clear();
        int result;
        try
        {
            // Intel Macs keep a 32-bit-inode lstat under the plain name; the 64-bit-inode one (st_mode at 4) is lstat$INODE64.
            result = RuntimeInformation.ProcessArchitecture == Architecture.X64
                ? Lstat64(path, ref MemoryMarshal.GetReference(buffer))
                : Lstat(path, ref MemoryMarshal.GetReference(buffer));
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        if (result != 0)
            return Marshal.GetLastPInvokeError() is NoEntry or NotDirectory ? PathKind.Missing : null;
        return FromMode(BitConverter.ToUInt16(buffer[4..]));
    }

    internal static PathKind FromMode(int mode)
    {
        return (mode & 0xF000) switch
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

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Lstat(string path, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "lstat$INODE64", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Lstat64(string path, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}
