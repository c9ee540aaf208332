using System.Buffers.Binary;
using System.Text;

namespace Engine.IO;

/// <summary>
/// NumPy's .npy format (versions 1.0 to 3.0): magic <c>\x93NUMPY</c>, version, header length, a Python
/// dict literal <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>, then the data.
/// Reads little-endian float32 and float64 (converted) in C order, streaming (files over 2 GB load
/// as long as the values fit one array; <see cref="NpyReader"/> reads them in parts); writes float32, atomically.
/// </summary>
public static class NpyFile
{
    /// <summary>Reads a whole file, checking the header, the type, the order and the length.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not .npy, an unsupported type or order, truncated or too large; the message says which.</exception>
    public static NpyArray Read(string path)
    {
        using var reader = NpyReader.Open(path);
        return ReadAll(reader);
    }

    /// <summary>Reads a whole array from a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static NpyArray Read(Stream stream, string source)
    {
        using var reader = NpyReader.Open(stream, source);
        return ReadAll(reader);
    }

    private static NpyArray ReadAll(NpyReader reader)
    {
        if (reader.Count > Array.MaxLength)
            throw new InvalidDataException($"{reader.Source} holds {reader.Count} values, more than one array can hold ({Array.MaxLength}); read it in parts with NpyReader.");
        if (reader.LengthChecked)
        {
            var data = new float[reader.Count];
            reader.Read(data);
            reader.CheckEnd();
            return new NpyArray(reader.Shape.ToArray(), data);
        }
        // A compressed file's length is unknown until it is read: grow part by part, so a header
        // that claims more than the file holds fails at the end of the data, not by allocating it.
        var parts = new List<float[]>();
        while (reader.Remaining > 0)
        {
            var part = new float[Math.Min(reader.Remaining, 1 << 18)];
            reader.Read(part);
            parts.Add(part);
        }
        reader.CheckEnd();
        var all = new float[reader.Count];
        long at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(all, at);
            at += part.Length;
        }
        return new NpyArray(reader.Shape.ToArray(), all);
    }

    /// <summary>Writes float32 values in C order (version 1.0), atomically: a temporary file renamed over the target.</summary>
    public static void Write(string path, ReadOnlySpan<float> data, params int[] shape)
    {
        using var writer = NpyWriter.Create(path, shape);
        writer.Write(data);
        writer.Commit();
    }

    /// <summary>The version 1.0 header (magic to newline) of a float32 C-order array, padded so the data starts at a multiple of 64.</summary>
    internal static byte[] Header(ReadOnlySpan<int> shape)
    {
        string shapeText = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray());
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({shapeText}), }}";
        int total = 10 + dict.Length + 1;
        dict = dict.PadRight(dict.Length + (64 - total % 64) % 64) + "\n";
        var bytes = new byte[10 + dict.Length];
        NpyReader.Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), checked((ushort)dict.Length));
        Encoding.Latin1.GetBytes(dict, bytes.AsSpan(10));
        return bytes;
    }
}
