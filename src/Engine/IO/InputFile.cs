using System.IO.Compression;

namespace Engine.IO;

/// <summary>
/// A file (or an embedded resource) read front to back by a format reader, gunzipped on the fly
/// when it starts with the gzip magic. Readers take exactly the bytes their header declares, so
/// memory stays bounded by what the header claims and what the file holds, whichever is smaller:
/// a gzip bomb behind a small header is stopped after the declared size. Every failure is an
/// <see cref="InvalidDataException"/> or an <see cref="IOException"/> naming the source.
/// </summary>
internal sealed class InputFile : IDisposable
{
    private const int Chunk = 1 << 20;

    /// <summary>Most bytes deflate can produce from one compressed byte (its longest match, 258 bytes, costs about two bits).</summary>
    private const long InflationLimit = 1032;

    private readonly Stream _stream;
    private readonly long _inflatedLimit = long.MaxValue;
    private long _position;

    private InputFile(Stream stream, string source, long? length)
    {
        Source = source;
        if (StartsWithGzipMagic(stream))
        {
            _stream = new GZipStream(stream, CompressionMode.Decompress);
            Compressed = true;
            if (length is long compressed)
                _inflatedLimit = compressed * InflationLimit + 1024;
        }
        else
        {
            _stream = stream;
            Length = length;
        }
    }

    /// <summary>Opens a regular file (or a link to one).</summary>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    /// <exception cref="IOException">It is a directory, a device, a pipe or a socket, or cannot be read.</exception>
    public static InputFile Open(string path)
    {
        var stream = RegularFile.OpenRead(path);
        try
        {
            return new InputFile(stream, $"'{path}'", stream.Length);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Wraps a seekable stream (an embedded resource); <paramref name="source"/> names it in errors.</summary>
    public static InputFile Open(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException($"'{source}': the readers need a seekable stream.", nameof(stream));
        return new InputFile(stream, $"'{source}'", stream.Length - stream.Position);
    }

    /// <summary>How errors name it: <c>'data/x.gz'</c>.</summary>
    public string Source { get; }

    /// <summary>Whether it is gzip-compressed.</summary>
    public bool Compressed { get; }

    /// <summary>Its length in bytes when known before reading (uncompressed, seekable); else null.</summary>
    public long? Length { get; }

    /// <summary>Bytes read so far (of the uncompressed content).</summary>
    public long Position => _position;

    /// <summary>
    /// The most bytes that can still follow: exactly what is left of a plain file; for a compressed
    /// one, what its compressed size can inflate to at most. A header that claims more is refused
    /// before anything is allocated for it.
    /// </summary>
    public long MostRemaining => Length is long length ? length - _position : _inflatedLimit - _position;

    /// <summary>Refuses a declared size that the file cannot hold (see <see cref="MostRemaining"/>).</summary>
    public void CheckDeclared(long bytes, string what)
    {
        if (bytes > MostRemaining)
        {
            throw new InvalidDataException(Compressed
                ? $"{Source} declares {bytes} bytes of {what}, more than its compressed size can inflate to (truncated?)."
                : $"{Source} should hold {bytes} bytes of {what} from byte {_position} but holds {MostRemaining} (truncated?).");
        }
    }

    /// <summary>Fills <paramref name="buffer"/> or reports the file as truncated inside <paramref name="what"/>.</summary>
    public void ReadExactly(Span<byte> buffer, string what)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = Read(buffer[done..]);
            if (n == 0)
                throw new InvalidDataException($"{Source} is truncated: it ends inside {what} (after {_position} bytes).");
            done += n;
        }
    }

    /// <summary>
    /// Reads <paramref name="count"/> bytes into a new array. A compressed source fills it chunk by chunk,
    /// so a header that lies about the size fails at the end of the data, not by allocating what it claims.
    /// </summary>
    public byte[] ReadBytes(long count, string what)
    {
        CheckArrayLength(count, 1, what);
        CheckDeclared(count, what);
        if (!Compressed)
        {
            var all = new byte[count];
            ReadExactly(all, what);
            return all;
        }
        var parts = new List<byte[]>();
        long left = count;
        while (left > 0)
        {
            var part = new byte[Math.Min(left, Chunk)];
            ReadExactly(part, what);
            parts.Add(part);
            left -= part.Length;
        }
        if (parts.Count == 1)
            return parts[0];
        var result = new byte[count];
        long at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result.AsSpan((int)at));
            at += part.Length;
        }
        return result;
    }

    /// <summary>Skips <paramref name="count"/> bytes (reading them: gzip cannot seek).</summary>
    public void Skip(long count, string what)
    {
        var scratch = new byte[(int)Math.Min(Math.Max(count, 1), Chunk)];
        while (count > 0)
        {
            int n = (int)Math.Min(count, scratch.Length);
            ReadExactly(scratch.AsSpan(0, n), what);
            count -= n;
        }
    }

    /// <summary>Whether the data ends here (reads at most one byte).</summary>
    public bool AtEnd()
    {
        if (Length is long length)
            return _position >= length;
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0;
    }

    /// <summary>Refuses element counts that one .NET array cannot hold.</summary>
    public void CheckArrayLength(long count, int elementSize, string what)
    {
        if (count < 0 || count > Array.MaxLength || count * elementSize < 0)
            throw new InvalidDataException($"{Source} declares {count} values of {what}, more than one array can hold ({Array.MaxLength}).");
    }

    private int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = _stream.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Source} is a damaged gzip file: {e.Message}", e);
        }
        _position += n;
        return n;
    }

    /// <summary>Whether the stream starts with the gzip magic; the position is restored.</summary>
    private static bool StartsWithGzipMagic(Stream stream)
    {
        Span<byte> magic = stackalloc byte[2];
        long start = stream.Position;
        int n = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    public void Dispose() => _stream.Dispose();
}
