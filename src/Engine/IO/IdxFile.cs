using System.Buffers.Binary;

namespace Engine.IO;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed): a big-endian int32 magic
/// (<c>0x0803</c> for uint8 images, <c>0x0801</c> for uint8 labels), one big-endian int32 per
/// dimension, then uint8 data. The reader takes exactly the bytes the dimensions declare and
/// refuses a file that holds fewer or more, so a damaged or hostile file costs no more memory than
/// its declared (and checked) size.
/// </summary>
public static class IdxFile
{
    private const int ImageMagic = 0x0803, LabelMagic = 0x0801;

    /// <summary>Images as floats in [0, 1], shape <c>[N, 1, rows, cols]</c>.</summary>
    /// <exception cref="InvalidDataException">Wrong magic, dimensions or length; the message says which.</exception>
    public static NpyArray ReadImages(string path)
    {
        using var file = InputFile.Open(path);
        return Images(file);
    }

    /// <summary>Images from a stream (e.g. an embedded resource); <paramref name="source"/> names it in errors.</summary>
    public static NpyArray ReadImages(Stream stream, string source)
    {
        using var file = InputFile.Open(stream, source);
        return Images(file);
    }

    /// <summary>Labels as ints, shape <c>[N]</c>.</summary>
    public static int[] ReadLabels(string path)
    {
        using var file = InputFile.Open(path);
        return Labels(file);
    }

    /// <summary>Labels from a stream; <paramref name="source"/> names it in errors.</summary>
    public static int[] ReadLabels(Stream stream, string source)
    {
        using var file = InputFile.Open(stream, source);
        return Labels(file);
    }

    private static NpyArray Images(InputFile file)
    {
        var (dims, data) = Parse(file, ImageMagic, rank: 3);
        var values = new float[data.Length];
        for (int i = 0; i < data.Length; i++)
            values[i] = data[i] / 255f;
        return new NpyArray([dims[0], 1, dims[1], dims[2]], values);
    }

    private static int[] Labels(InputFile file)
    {
        var (_, data) = Parse(file, LabelMagic, rank: 1);
        var labels = new int[data.Length];
        for (int i = 0; i < data.Length; i++)
            labels[i] = data[i];
        return labels;
    }

    private static (int[] Dims, byte[] Data) Parse(InputFile file, int expectedMagic, int rank)
    {
        string kind = expectedMagic == ImageMagic ? "uint8 images" : "uint8 labels";
        Span<byte> word = stackalloc byte[4];
        file.ReadExactly(word, "the IDX magic number");
        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic)
            throw new InvalidDataException($"{file.Source} has magic 0x{magic:X8}, expected 0x{expectedMagic:X8} ({kind}).");
        if ((magic & 0xFF) != rank)
            throw new InvalidDataException($"{file.Source}: {kind} have {rank} dimensions, this file {magic & 0xFF}.");
        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            file.ReadExactly(word, "the IDX dimensions");
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dims[d] <= 0)
                throw new InvalidDataException($"{file.Source} has dimension {d} = {dims[d]}.");
        }
        long count = 1;
        foreach (int d in dims)
        {
            count *= d; // stops growing past Array.MaxLength (< 2^31) times a factor below 2^31: no wrap
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{file.Source} declares dimensions [{string.Join(", ", dims)}]: more than {Array.MaxLength} values.");
        }
        long start = file.Position;
        if (file.Length is long length && length - start != count)
            throw new InvalidDataException($"{file.Source} should hold {count} data bytes for dimensions [{string.Join(", ", dims)}] but holds {length - start} (truncated?).");
        var data = file.ReadBytes(count, $"its {kind}");
        if (!file.AtEnd())
            throw new InvalidDataException($"{file.Source} holds more than the {count} data bytes its dimensions [{string.Join(", ", dims)}] declare.");
        return (dims, data);
    }
}
