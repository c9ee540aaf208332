using System.IO.Compression;

namespace Engine.IO;

/// <summary>Reads a whole file or stream, gunzipping it when it starts with the gzip magic.</summary>
internal static class FileBytes
{
    internal static byte[] ReadMaybeGzipped(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' does not exist.", path);
        return MaybeGunzip(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a whole stream (an embedded resource), gunzipping it when it is gzip.</summary>
    internal static byte[] ReadMaybeGzipped(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return MaybeGunzip(copy.ToArray(), source);
    }

    private static byte[] MaybeGunzip(byte[] bytes, string path)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b)
            return bytes;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            return plain.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is a damaged gzip file: {e.Message}", e);
        }
    }
}
