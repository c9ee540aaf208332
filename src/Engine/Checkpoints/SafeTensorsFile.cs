using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Engine.Checkpoints;

/// <summary>The element types a safetensors file may hold that the engine reads.</summary>
public enum SafeTensorType
{
    /// <summary>float32 ("F32").</summary>
    F32,
    /// <summary>int32 ("I32").</summary>
    I32,
    /// <summary>int64 ("I64"), e.g. PyTorch's num_batches_tracked.</summary>
    I64,
}

/// <summary>One named tensor of a safetensors file, on the host: little-endian bytes, row-major.</summary>
/// <param name="Name">The state-dict key.</param>
/// <param name="Type">Element type.</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
/// <param name="Data">The raw little-endian bytes.</param>
public sealed record SafeTensor(string Name, SafeTensorType Type, long[] Shape, byte[] Data)
{
    /// <summary>Element count.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>A float32 tensor from values.</summary>
    public static SafeTensor FromFloats(string name, ReadOnlySpan<float> values, params long[] shape)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return new SafeTensor(name, SafeTensorType.F32, shape, bytes);
    }

    /// <summary>An int64 tensor from values.</summary>
    public static SafeTensor FromLongs(string name, ReadOnlySpan<long> values, params long[] shape)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return new SafeTensor(name, SafeTensorType.I64, shape, bytes);
    }

    /// <summary>The values as float32 (F32 only).</summary>
    public float[] ToFloats()
    {
        if (Type != SafeTensorType.F32)
            throw new InvalidDataException($"Tensor '{Name}' holds {Type}, not F32.");
        var values = new float[Data.Length / 4];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(Data.AsSpan(i * 4));
        return values;
    }

    /// <summary>The values as int64 (I64 or I32).</summary>
    public long[] ToLongs() => Type switch
    {
        SafeTensorType.I64 => Enumerable.Range(0, Data.Length / 8).Select(i => BinaryPrimitives.ReadInt64LittleEndian(Data.AsSpan(i * 8))).ToArray(),
        SafeTensorType.I32 => Enumerable.Range(0, Data.Length / 4).Select(i => (long)BinaryPrimitives.ReadInt32LittleEndian(Data.AsSpan(i * 4))).ToArray(),
        _ => throw new InvalidDataException($"Tensor '{Name}' holds {Type}, not an integer type."),
    };

    /// <summary><c>[2, 3]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// mapping each name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (plus optional
/// <c>__metadata__</c> strings), then the data. Files are written atomically; a damaged file is
/// reported with what is wrong, never half-read.
/// </summary>
public static class SafeTensorsFile
{
    /// <summary>Largest header accepted (the format's own limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>
    /// Writes the tensors (in the given order) and metadata to <paramref name="path"/> atomically:
    /// a temporary file in the same folder is written and flushed, then renamed over the target,
    /// so a crash leaves either the old file or the new one, never a mix.
    /// </summary>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var list = tensors.ToList();
        var duplicate = list.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Tensor name '{duplicate.Key}' appears twice.", nameof(tensors));
        byte[] header = BuildHeader(list, metadata);
        var bytes = new byte[8 + header.Length + list.Sum(t => (long)t.Data.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        int at = 8 + header.Length;
        foreach (var t in list)
        {
            t.Data.CopyTo(bytes, at);
            at += t.Data.Length;
        }
        IO.AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>
    /// Reads and validates a whole file: header length and JSON, each entry's type, shape and byte
    /// range, and that the ranges cover the data exactly (so truncation or trailing garbage is caught).
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is damaged or not safetensors; the message says where.</exception>
    public static (IReadOnlyDictionary<string, SafeTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        string where = $"'{path}'";
        if (bytes.Length < 8)
            throw new InvalidDataException($"{where} is too short ({bytes.Length} bytes) to be a safetensors file.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || 8 + (long)headerLength > bytes.Length)
            throw new InvalidDataException($"{where} declares a {headerLength}-byte header but holds {bytes.Length} bytes: truncated or not safetensors.");
        int dataStart = 8 + (int)headerLength;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where} has a damaged header: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{where} has a header that is not a JSON object.");
            var tensors = new Dictionary<string, SafeTensor>();
            var metadata = new Dictionary<string, string>();
            var ranges = new List<(long Begin, long End, string Name)>();
            long dataLength = bytes.Length - dataStart;
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    foreach (var m in entry.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                var tensor = ParseEntry(where, entry, bytes, dataStart, dataLength, out long begin, out long end);
                tensors[entry.Name] = tensor;
                ranges.Add((begin, end, entry.Name));
            }
            CheckCoverage(where, ranges, dataLength);
            return (tensors, metadata);
        }
    }

    private static SafeTensor ParseEntry(string where, JsonProperty entry, byte[] bytes, int dataStart, long dataLength, out long begin, out long end)
    {
        string name = entry.Name;
        try
        {
            var value = entry.Value;
            string dtype = value.GetProperty("dtype").GetString() ?? "";
            var type = dtype switch
            {
                "F32" => SafeTensorType.F32,
                "I32" => SafeTensorType.I32,
                "I64" => SafeTensorType.I64,
                _ => throw new InvalidDataException($"{where}: tensor '{name}' has dtype {dtype}; the engine reads F32, I32 and I64."),
            };
            var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (shape.Any(d => d < 0))
                throw new InvalidDataException($"{where}: tensor '{name}' has a negative dimension in [{string.Join(", ", shape)}].");
            var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                throw new InvalidDataException($"{where}: tensor '{name}' has data_offsets [{string.Join(", ", offsets)}] outside the {dataLength} data bytes (truncated?).");
            int size = type == SafeTensorType.I64 ? 8 : 4;
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if ((offsets[1] - offsets[0]) != count * size)
                throw new InvalidDataException($"{where}: tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtype} needs {count * size} bytes but its range holds {offsets[1] - offsets[0]}.");
            begin = offsets[0];
            end = offsets[1];
            var data = bytes.AsSpan(dataStart + (int)begin, (int)(end - begin)).ToArray();
            return new SafeTensor(name, type, shape, data);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{where}: the header entry of tensor '{name}' is malformed ({e.Message}).", e);
        }
    }

    private static void CheckCoverage(string where, List<(long Begin, long End, string Name)> ranges, long dataLength)
    {
        long position = 0;
        foreach (var (begin, end, name) in ranges.OrderBy(r => r.Begin).ThenBy(r => r.End))
        {
            if (begin != position)
                throw new InvalidDataException($"{where}: tensor '{name}' starts at byte {begin} of the data, but the previous one ended at {position} (overlap or hole).");
            position = end;
        }
        if (position != dataLength)
            throw new InvalidDataException($"{where}: the tensors cover {position} data bytes but the file holds {dataLength} (truncated or trailing bytes).");
    }

    private static byte[] BuildHeader(List<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                int size = t.Type == SafeTensorType.I64 ? 8 : 4;
                if (t.Data.Length != t.Count * size)
                    throw new ArgumentException($"Tensor '{t.Name}' of shape {t.ShapeText} has {t.Data.Length} bytes, expected {t.Count * size}.");
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.Type.ToString());
                json.WriteStartArray("shape");
                foreach (long d in t.Shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }
        // The format pads the header with spaces to a multiple of 8 bytes.
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        var header = new byte[padded];
        buffer.ToArray().CopyTo(header, 0);
        for (long i = buffer.Length; i < padded; i++)
            header[i] = (byte)' ';
        return header;
    }
}
