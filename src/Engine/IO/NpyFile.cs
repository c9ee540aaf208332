using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Engine.IO;

/// <summary>An array read from or written to NumPy's .npy format: float32 values, C order.</summary>
/// <param name="Shape">Dimensions.</param>
/// <param name="Data">Values, row-major.</param>
public sealed record NpyArray(int[] Shape, float[] Data);

/// <summary>
/// NumPy's .npy format (versions 1.0 to 3.0): magic <c>\x93NUMPY</c>, version, header length, a Python
/// dict literal <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>, then the data.
/// Reads little-endian float32 and float64 (converted) in C order; writes float32, atomically.
/// </summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a whole file, checking the header, the type, the order and the length.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not .npy, an unsupported type or order, or truncated; the message says which.</exception>
    public static NpyArray Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        string where = $"'{path}'";
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{where} is not a .npy file (no \\x93NUMPY magic).");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            headerStart = 10;
        }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12)
                throw new InvalidDataException($"{where} is truncated inside its header.");
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
            headerStart = 12;
        }
        else
        {
            throw new InvalidDataException($"{where} has .npy version {major}, which is not supported (1, 2 or 3).");
        }
        if (headerStart + headerLength > bytes.Length)
            throw new InvalidDataException($"{where} is truncated inside its header.");
        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        string descr = Field(where, header, "descr", DescrPattern());
        string order = Field(where, header, "fortran_order", OrderPattern());
        string shapeText = Field(where, header, "shape", ShapePattern());
        if (order != "False")
            throw new InvalidDataException($"{where} is in Fortran order; save it with numpy.ascontiguousarray first.");
        int[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => int.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int size = descr switch
        {
            "<f4" => 4,
            "<f8" => 8,
            _ => throw new InvalidDataException($"{where} holds dtype {descr}; the engine reads little-endian float32 ('<f4') or float64 ('<f8')."),
        };
        int dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != count * size)
            throw new InvalidDataException($"{where} should hold {count * size} data bytes for shape ({shapeText}) and dtype {descr}, but holds {bytes.Length - dataStart} (truncated?).");
        var data = new float[count];
        for (long i = 0; i < count; i++)
        {
            data[i] = size == 4
                ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + (int)(i * 4)))
                : (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(dataStart + (int)(i * 8)));
        }
        return new NpyArray(shape, data);
    }

    /// <summary>Writes float32 values in C order (version 1.0), atomically: a temporary file renamed over the target.</summary>
    public static void Write(string path, ReadOnlySpan<float> data, params int[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length)
            throw new ArgumentException($"{data.Length} values do not fill shape ({string.Join(", ", shape)}).", nameof(data));
        string shapeText = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({shapeText}), }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n"; // align the data to 64 bytes
        var bytes = new byte[10 + header.Length + data.Length * 4];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.Latin1.GetBytes(header, bytes.AsSpan(10));
        int dataStart = 10 + header.Length;
        for (int i = 0; i < data.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(dataStart + i * 4), data[i]);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    private static string Field(string where, string header, string name, Regex pattern)
    {
        var match = pattern.Match(header);
        if (!match.Success)
            throw new InvalidDataException($"{where} has a header without a readable '{name}': {header.Trim()}");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex OrderPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}

/// <summary>Atomic file writes: a temporary file in the same folder, flushed, then renamed over the target.</summary>
public static class AtomicFile
{
    /// <summary>Writes all bytes so that readers see the old file or the new one, never a mix.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
