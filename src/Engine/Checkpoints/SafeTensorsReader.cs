using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Engine.IO;

namespace Engine.Checkpoints;

/// <summary>
/// Opens a safetensors file and checks its whole header against the file's length before any
/// data is read: entry types, shapes (no overflow), byte ranges, and that the ranges tile the data
/// exactly. Tensors are then read one at a time by seeking, so a file of any size loads with the
/// memory of its largest tensor.
/// </summary>
public sealed class SafeTensorsReader : IDisposable
{
    private readonly Stream _stream;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorsReader(Stream stream, string source)
    {
        _stream = stream;
        Source = source;
        long fileLength = stream.Length - stream.Position;
        long start = stream.Position;
        if (fileLength < 8)
            throw new InvalidDataException($"{source} is too short ({fileLength} bytes) to be a safetensors file.");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > SafeTensorsFile.MaxHeaderBytes || 8 + (long)headerLength > fileLength)
            throw new InvalidDataException($"{source} declares a {headerLength}-byte header but holds {fileLength} bytes: truncated or not safetensors.");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        _dataStart = start + 8 + (long)headerLength;
        long dataLength = fileLength - 8 - (long)headerLength;
        try
        {
            (Tensors, Metadata) = ParseHeader(source, header, dataLength);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json validates UTF-8 lazily, when a name or string is read.
            throw new InvalidDataException($"{source} has a header that is not valid UTF-8 JSON: {e.Message}", e);
        }
        _byName = Tensors.ToDictionary(t => t.Name);
    }

    /// <summary>Opens a file and checks its header.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is damaged or not safetensors; the message says where.</exception>
    public static SafeTensorsReader Open(string path)
    {
        var stream = RegularFile.OpenRead(path);
        try
        {
            return new SafeTensorsReader(stream, $"'{path}'");
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads from a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static SafeTensorsReader Open(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException($"'{source}': safetensors needs a seekable stream.", nameof(stream));
        return new SafeTensorsReader(stream, $"'{source}'");
    }

    /// <summary>How errors name the file.</summary>
    public string Source { get; }

    /// <summary>The tensors, in the order of their data.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Whether a tensor of that name is in the file.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of a tensor.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    public SafeTensorInfo Info(string name) => _byName.TryGetValue(name, out var info) ? info
        : throw new KeyNotFoundException($"{Source} holds no tensor '{name}'.");

    /// <summary>A tensor's raw bytes.</summary>
    public SafeTensor Read(string name)
    {
        var info = Info(name);
        long bytes = info.End - info.Begin;
        if (bytes > Array.MaxLength)
            throw new InvalidDataException($"{Source}: tensor '{name}' has {bytes} bytes, more than one array holds; read it with ReadFloats.");
        var data = new byte[bytes];
        ReadRange(info, info.Begin, data);
        return new SafeTensor(info.Name, info.Type, info.Shape, data);
    }

    /// <summary>
    /// A float tensor's values as float32: F32 read straight into the array, F16 and BF16 (as
    /// PyTorch saves half-precision checkpoints) widened exactly, in parts.
    /// </summary>
    public float[] ReadFloats(string name)
    {
        var info = Info(name);
        if (!SafeTensor.IsFloat(info.Type))
            throw new InvalidDataException($"{Source}: tensor '{name}' holds {info.Type}, not floats (F32, F16 or BF16).");
        if (info.Count > Array.MaxLength)
            throw new InvalidDataException($"{Source}: tensor '{name}' has {info.Count} values, more than one array holds.");
        var values = new float[info.Count];
        if (info.Type != SafeTensorType.F32)
        {
            var bytes = new byte[Math.Min(values.Length, 1 << 24) * 2];
            for (int done = 0; done < values.Length; done += 1 << 24)
            {
                var part = values.AsSpan(done, Math.Min(1 << 24, values.Length - done));
                ReadRange(info, info.Begin + 2L * done, bytes.AsSpan(0, part.Length * 2));
                SafeTensor.Widen(info.Type, bytes, part);
            }
            return values;
        }
        // In parts of at most 2^28 values: a span of bytes cannot describe more than 2 GiB.
        for (int done = 0; done < values.Length; done += 1 << 28)
        {
            var part = values.AsSpan(done, Math.Min(1 << 28, values.Length - done));
            ReadRange(info, info.Begin + 4L * done, MemoryMarshal.AsBytes(part));
            if (!BitConverter.IsLittleEndian)
            {
                var words = MemoryMarshal.Cast<float, int>(part);
                BinaryPrimitives.ReverseEndianness(words, words);
            }
        }
        return values;
    }

    /// <summary>An integer tensor's values (I64 or I32) as int64.</summary>
    public long[] ReadLongs(string name) => Read(name).ToLongs();

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    private void ReadRange(SafeTensorInfo info, long begin, Span<byte> into)
    {
        _stream.Position = _dataStart + begin;
        try
        {
            _stream.ReadExactly(into);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{Source} ended inside tensor '{info.Name}' (it shrank while being read?).", e);
        }
    }

    private static (IReadOnlyList<SafeTensorInfo>, IReadOnlyDictionary<string, string>) ParseHeader(string where, byte[] header, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where} has a damaged header: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{where} has a header that is not a JSON object.");
            var tensors = new List<SafeTensorInfo>();
            var metadata = new Dictionary<string, string>();
            var names = new HashSet<string>();
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (!names.Add(entry.Name))
                    throw new InvalidDataException($"{where} names '{entry.Name}' twice in its header.");
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object)
                        throw new InvalidDataException($"{where}: __metadata__ is a JSON {entry.Value.ValueKind.ToString().ToLowerInvariant()}, not an object of strings.");
                    foreach (var m in entry.Value.EnumerateObject())
                    {
                        if (metadata.ContainsKey(m.Name))
                            throw new InvalidDataException($"{where}: __metadata__ names '{m.Name}' twice.");
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new InvalidDataException($"{where}: __metadata__ entry '{m.Name}' is a JSON {m.Value.ValueKind.ToString().ToLowerInvariant()}, not a string.");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                tensors.Add(ParseEntry(where, entry, dataLength));
            }
            tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long position = 0;
            foreach (var t in tensors)
            {
                if (t.Begin != position)
                    throw new InvalidDataException($"{where}: tensor '{t.Name}' starts at byte {t.Begin} of the data, but the previous one ended at {position} (overlap or hole).");
                position = t.End;
            }
            if (position != dataLength)
                throw new InvalidDataException($"{where}: the tensors cover {position} data bytes but the file holds {dataLength} (truncated or trailing bytes).");
            return (tensors, metadata);
        }
    }

    private static SafeTensorInfo ParseEntry(string where, JsonProperty entry, long dataLength)
    {
        string name = entry.Name;
        var value = entry.Value;
        string Problem(string what) => $"{where}: the header entry of tensor '{name}' {what}.";
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException(Problem($"is a JSON {value.ValueKind.ToString().ToLowerInvariant()}, not an object"));
        if (!value.TryGetProperty("dtype", out var dtypeValue) || dtypeValue.ValueKind != JsonValueKind.String)
            throw new InvalidDataException(Problem("has no dtype string"));
        string dtype = dtypeValue.GetString()!;
        var type = dtype switch
        {
            "F32" => SafeTensorType.F32,
            "F16" => SafeTensorType.F16,
            "BF16" => SafeTensorType.BF16,
            "I32" => SafeTensorType.I32,
            "I64" => SafeTensorType.I64,
            _ => throw new InvalidDataException($"{where}: tensor '{name}' has dtype {dtype}; the engine reads F32, F16, BF16, I32 and I64."),
        };
        long[] shape = Integers(value, "shape", Problem);
        long[] offsets = Integers(value, "data_offsets", Problem);
        if (shape.Any(d => d < 0))
            throw new InvalidDataException($"{where}: tensor '{name}' has a negative dimension in [{string.Join(", ", shape)}].");
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            throw new InvalidDataException($"{where}: tensor '{name}' has data_offsets [{string.Join(", ", offsets)}] outside the {dataLength} data bytes (truncated?).");
        long count = 1;
        foreach (long d in shape)
        {
            // A product beyond the data cannot be right; stopping there also keeps it from wrapping.
            count = d == 0 ? 0 : count > dataLength / d ? -1 : count * d;
            if (count < 0)
                break;
        }
        long bytes = count < 0 || count > dataLength / SafeTensor.SizeOf(type) ? -1 : count * SafeTensor.SizeOf(type);
        if (bytes != offsets[1] - offsets[0])
            throw new InvalidDataException($"{where}: tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtype} needs {(bytes < 0 ? "more than the file's" : bytes.ToString())} bytes but its range holds {offsets[1] - offsets[0]}.");
        return new SafeTensorInfo(name, type, shape, offsets[0], offsets[1]);
    }

    private static long[] Integers(JsonElement value, string field, Func<string, string> problem)
    {
        if (!value.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException(problem($"has no {field} array"));
        var result = new List<long>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v))
                throw new InvalidDataException(problem($"has {field} entry {item.GetRawText()}, not a 64-bit integer"));
            result.Add(v);
        }
        return result.ToArray();
    }
}
