using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Engine.IO;

/// <summary>
/// Reads a .npy file front to back in parts of any size (<c>predict</c> reads a batch at a time):
/// the header is parsed and checked against the file's length when opened; values are converted
/// to float32 as they are read.
/// </summary>
public sealed partial class NpyReader : IDisposable
{
    internal static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Largest header accepted (NumPy itself refuses more than 10,000 bytes by default).</summary>
    public const int MaxHeaderBytes = 1 << 20;

    private readonly InputFile _file;
    private readonly int _size;
    private long _read;

    private NpyReader(InputFile file)
    {
        _file = file;
        string where = file.Source;
        Span<byte> prefix = stackalloc byte[8];
        file.ReadExactly(prefix, "the .npy magic");
        if (!prefix[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{where} is not a .npy file (no \\x93NUMPY magic).");
        int major = prefix[6];
        long headerLength;
        if (major == 1)
        {
            Span<byte> length = stackalloc byte[2];
            file.ReadExactly(length, "the .npy header length");
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(length);
        }
        else if (major is 2 or 3)
        {
            Span<byte> length = stackalloc byte[4];
            file.ReadExactly(length, "the .npy header length");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(length);
        }
        else
        {
            throw new InvalidDataException($"{where} has .npy version {major}, which is not supported (1, 2 or 3).");
        }
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{where} declares a {headerLength}-byte header; at most {MaxHeaderBytes} are read.");
        var headerBytes = file.ReadBytes(headerLength, "the .npy header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        string descr = Field(where, header, "descr", DescrPattern());
        string order = Field(where, header, "fortran_order", OrderPattern());
        string shapeText = Field(where, header, "shape", ShapePattern());
        if (order != "False")
            throw new InvalidDataException($"{where} is in Fortran order; save it with numpy.ascontiguousarray first.");
        _size = descr switch
        {
            "<f4" => 4,
            "<f8" => 8,
            _ => throw new InvalidDataException($"{where} holds dtype {descr}; the engine reads little-endian float32 ('<f4') or float64 ('<f8')."),
        };
        Shape = ParseShape(where, shapeText);
        long count = Shape.Any(d => d == 0) ? 0 : 1;
        foreach (int d in Shape)
        {
            // Checked before multiplying, so the product never wraps: it stays at most 2^40.
            if (d != 0 && count > (1L << 40) / d)
                throw new InvalidDataException($"{where} declares shape ({shapeText}): more than 2^40 values.");
            count *= d;
        }
        Count = count;
        if (file.Length is long fileLength && fileLength - file.Position != count * _size)
            throw new InvalidDataException($"{where} should hold {count * _size} data bytes for shape ({shapeText}) and dtype {descr}, but holds {fileLength - file.Position} (truncated?).");
        file.CheckDeclared(count * _size, $"values for shape ({shapeText})");
    }

    /// <summary>Opens a file and reads its header.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">A damaged or unsupported header, or a length that does not match it.</exception>
    public static NpyReader Open(string path) => Open(InputFile.Open(path));

    /// <summary>Opens a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static NpyReader Open(Stream stream, string source) => Open(InputFile.Open(stream, source));

    private static NpyReader Open(InputFile file)
    {
        try
        {
            return new NpyReader(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>How errors name the file.</summary>
    public string Source => _file.Source;

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Number of values.</summary>
    public long Count { get; }

    /// <summary>Whether the file's length was checked against the header when it was opened (false for a compressed file).</summary>
    public bool LengthChecked => _file.Length is not null;

    /// <summary>Values not yet read.</summary>
    public long Remaining => Count - _read;

    /// <summary>Reads the next <c>values.Length</c> values (converted to float32).</summary>
    /// <exception cref="ArgumentException">Fewer values are left.</exception>
    public void Read(Span<float> values)
    {
        if (values.Length > Remaining)
            throw new ArgumentException($"{Source}: {values.Length} values asked for, {Remaining} left.", nameof(values));
        if (_size == 4)
        {
            // In parts of at most 2^28 values: a span of bytes cannot describe more than 2 GiB.
            for (int done = 0; done < values.Length; done += 1 << 28)
            {
                var part = values.Slice(done, Math.Min(1 << 28, values.Length - done));
                _file.ReadExactly(MemoryMarshal.AsBytes(part), "its values");
                if (!BitConverter.IsLittleEndian)
                {
                    var words = MemoryMarshal.Cast<float, int>(part);
                    BinaryPrimitives.ReverseEndianness(words, words);
                }
            }
        }
        else
        {
            Span<byte> buffer = new byte[Math.Min(values.Length, 1 << 16) * 8];
            for (int done = 0; done < values.Length;)
            {
                int n = Math.Min(values.Length - done, buffer.Length / 8);
                _file.ReadExactly(buffer[..(n * 8)], "its values");
                for (int i = 0; i < n; i++)
                    values[done + i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(buffer[(i * 8)..]);
                done += n;
            }
        }
        _read += values.Length;
    }

    /// <summary>Checks, once every value was read, that the file ends there (a compressed file's length is not known before).</summary>
    /// <exception cref="InvalidDataException">More bytes follow the values.</exception>
    public void CheckEnd()
    {
        if (Remaining == 0 && !_file.AtEnd())
            throw new InvalidDataException($"{Source} holds more than the {Count} values its shape ({string.Join(", ", Shape)}) declares.");
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();

    private static int[] ParseShape(string where, string text)
    {
        var dims = new List<int>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string digits = item.TrimEnd('L', 'l'); // Python 2 wrote longs as 3L
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                throw new InvalidDataException($"{where} has a shape ({text}) with '{item}', which is not a dimension.");
            if (d > int.MaxValue)
                throw new InvalidDataException($"{where} has a shape ({text}) with dimension {d}, larger than {int.MaxValue}.");
            dims.Add((int)d);
        }
        return dims.ToArray();
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
