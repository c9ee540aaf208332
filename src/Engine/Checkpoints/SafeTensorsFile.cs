using System.Buffers.Binary;
using System.Text.Json;
using Engine.IO;

namespace Engine.Checkpoints;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// mapping each name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (plus optional
/// <c>__metadata__</c> strings), then the data. Files are written atomically and streamed; reading
/// goes through <see cref="SafeTensorsReader"/>, which checks the whole header before any data.
/// </summary>
public static class SafeTensorsFile
{
    /// <summary>Largest header accepted, by the reader and so by the writer (the format's own limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The header entry that holds the metadata strings.</summary>
    public const string MetadataKey = "__metadata__";

    // Quotes inside metadata strings (JSON of its own) written as \" rather than \u0022: a third of
    // the bytes. Every JSON reader reads both.
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
        // What the reader refuses is refused here, before anything is written: a file the engine
        // wrote is one it can read, and the file it would have replaced stays.
        if (list.FirstOrDefault(t => t.Name == MetadataKey) is { } reserved)
            throw new ArgumentException($"A tensor cannot be named '{reserved.Name}': the format keeps its metadata under that name.", nameof(tensors));
        if (list.FirstOrDefault(t => t.Shape.Any(d => d < 0)) is { } negative)
            throw new ArgumentException($"Tensor '{negative.Name}' has a negative dimension in {negative.ShapeText}.", nameof(tensors));
        byte[] header = BuildHeader(list, metadata);
        if (header.Length > MaxHeaderBytes)
            throw new InvalidDataException($"Not writing '{path}': its header would be {header.Length:N0} bytes, more than the {MaxHeaderBytes:N0} a reader accepts (the file there is unchanged).");
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var t in list)
                stream.Write(t.Data);
        });
    }

    /// <summary>
    /// Reads and validates a whole file: header length and JSON, each entry's type, shape and byte
    /// range, and that the ranges cover the data exactly (so truncation or trailing garbage is caught).
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is damaged or not safetensors; the message says where.</exception>
    public static (IReadOnlyDictionary<string, SafeTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        using var reader = SafeTensorsReader.Open(path);
        return (reader.Tensors.ToDictionary(t => t.Name, t => reader.Read(t.Name)), reader.Metadata);
    }

    private static byte[] BuildHeader(List<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Relaxed))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                int size = SafeTensor.SizeOf(t.Type);
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
