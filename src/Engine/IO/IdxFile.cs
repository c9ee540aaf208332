using System.Buffers.Binary;

namespace Engine.IO;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed): a big-endian int32 magic
/// (<c>0x0803</c> for uint8 images, <c>0x0801</c> for uint8 labels), one big-endian int32 per
/// dimension, then uint8 data.
/// </summary>
public static class IdxFile
{
    /// <summary>Images as floats in [0, 1], shape <c>[N, 1, rows, cols]</c>.</summary>
    /// <exception cref="InvalidDataException">Wrong magic, dimensions or length; the message says which.</exception>
    public static NpyArray ReadImages(string path) => Images(FileBytes.ReadMaybeGzipped(path), path);

    /// <summary>Images from a stream (e.g. an embedded resource); <paramref name="source"/> names it in errors.</summary>
    public static NpyArray ReadImages(Stream stream, string source) => Images(FileBytes.ReadMaybeGzipped(stream, source), source);

    /// <summary>Labels as ints, shape <c>[N]</c>.</summary>
    public static int[] ReadLabels(string path) => Labels(FileBytes.ReadMaybeGzipped(path), path);

    /// <summary>Labels from a stream; <paramref name="source"/> names it in errors.</summary>
    public static int[] ReadLabels(Stream stream, string source) => Labels(FileBytes.ReadMaybeGzipped(stream, source), source);

    private static NpyArray Images(byte[] bytes, string path)
    {
        var (dims, data) = Parse(bytes, path, 0x0803);
        if (dims.Length != 3)
            throw new InvalidDataException($"'{path}': an image file has 3 dimensions, this one {dims.Length}.");
        var values = new float[data.Length];
        for (int i = 0; i < data.Length; i++)
            values[i] = data[i] / 255f;
        return new NpyArray([dims[0], 1, dims[1], dims[2]], values);
    }

    private static int[] Labels(byte[] bytes, string path)
    {
        var (dims, data) = Parse(bytes, path, 0x0801);
        if (dims.Length != 1)
            throw new InvalidDataException($"'{path}': a label file has 1 dimension, this one {dims.Length}.");
        return data.Select(b => (int)b).ToArray();
    }

    private static (int[] Dims, byte[] Data) Parse(byte[] bytes, string path, int expectedMagic)
    {
        if (bytes.Length < 4)
            throw new InvalidDataException($"'{path}' is too short ({bytes.Length} bytes) for an IDX file.");
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expectedMagic)
            throw new InvalidDataException($"'{path}' has magic 0x{magic:X8}, expected 0x{expectedMagic:X8} ({(expectedMagic == 0x0803 ? "uint8 images" : "uint8 labels")}).");
        int rank = magic & 0xFF;
        if (bytes.Length < 4 + 4 * rank)
            throw new InvalidDataException($"'{path}' is truncated inside its dimensions.");
        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] <= 0)
                throw new InvalidDataException($"'{path}' has dimension {d} = {dims[d]}.");
            count *= dims[d];
        }
        int start = 4 + 4 * rank;
        if (bytes.Length - start != count)
            throw new InvalidDataException($"'{path}' should hold {count} data bytes for dimensions [{string.Join(", ", dims)}] but holds {bytes.Length - start} (truncated?).");
        return (dims, bytes[start..]);
    }
}
