using System.Globalization;

namespace Engine.Devices;

/// <summary>Byte counts as people read them in messages.</summary>
public static class ByteSize
{
    /// <summary><c>12.5 MiB</c>.</summary>
    public static string MiB(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}
