using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Engine.IO;

/// <summary>
/// Writes a float32 .npy file in parts (<c>predict</c> writes a batch at a time), atomically: the
/// file appears under its name only at <see cref="Commit"/>, once every declared value was written.
/// </summary>
public sealed class NpyWriter : IDisposable
{
    private readonly AtomicWriter _writer;
    private readonly string _path;
    private long _written;

    private NpyWriter(string path, AtomicWriter writer, long count)
    {
        _path = path;
        _writer = writer;
        Count = count;
    }

    /// <summary>Starts a file of the given shape (refusing a target that is not a regular file).</summary>
    public static NpyWriter Create(string path, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Shape ({string.Join(", ", shape)}) has a negative dimension.", nameof(shape));
            count = checked(count * d);
        }
        var writer = AtomicFile.Begin(path);
        try
        {
            writer.Stream.Write(NpyFile.Header(shape));
            return new NpyWriter(path, writer, count);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>Values the shape declares.</summary>
    public long Count { get; }

    /// <summary>Appends values.</summary>
    public void Write(ReadOnlySpan<float> values)
    {
        if (_written + values.Length > Count)
            throw new ArgumentException($"'{_path}': {_written + values.Length} values written, but the shape holds {Count}.", nameof(values));
        if (BitConverter.IsLittleEndian)
        {
            for (int done = 0; done < values.Length; done += 1 << 28) // a span of bytes holds at most 2 GiB
                _writer.Stream.Write(MemoryMarshal.AsBytes(values.Slice(done, Math.Min(1 << 28, values.Length - done))));
        }
        else
        {
            Span<byte> four = stackalloc byte[4];
            foreach (float v in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                _writer.Stream.Write(four);
            }
        }
        _written += values.Length;
    }

    /// <summary>Checks that every value was written and renames the file into place.</summary>
    public void Commit()
    {
        if (_written != Count)
            throw new InvalidOperationException($"'{_path}': {_written} of {Count} values written.");
        _writer.Commit();
    }

    /// <summary>Abandons an uncommitted file.</summary>
    public void Dispose() => _writer.Dispose();
}
