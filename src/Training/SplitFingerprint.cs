using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Engine.Data;

namespace Engine.Training;

/// <summary>One split's fingerprint (see <see cref="DataFingerprint"/>).</summary>
/// <param name="Images">Images.</param>
/// <param name="Shape">One image's <c>CxHxW</c>.</param>
/// <param name="Sha256">Hex SHA-256 of the shape, the pixels (float32, little-endian) and the targets (int32).</param>
public sealed record SplitFingerprint(int Images, string Shape, string Sha256)
{
    /// <summary>
    /// The fingerprint of a split. A streamed dataset is read once, item by item (an image folder is
    /// decoded once more when a run starts): the same items give the fingerprint of the same images in
    /// memory. A <see cref="TransformedDataset"/>'s is its source's with the transforms' descriptions.
    /// </summary>
    /// <exception cref="InvalidDataException">An item that cannot be read, named.</exception>
    public static SplitFingerprint Of(IDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data is TransformedDataset transformed)
            return Described(data, Of(transformed.Source), string.Join(" | ", transformed.Transforms.Select(t => t.ToString())), $"{data.Channels}x{data.Height}x{data.Width}");
        if (data is MultiSizeDataset several)
            return Described(data, Of(several.Source), several.ToString(), string.Join(", ", several.Sizes.Select(s => $"{data.Channels}x{s.Height}x{s.Width}")));
        return data is ImageDataset memory ? Of(memory) : OfStreamed(data);
    }

    // The source's hash with what was done to its items, in words.
    private static SplitFingerprint Described(IDataset data, SplitFingerprint source, string description, string shape)
    {
        byte[] both = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{source.Sha256} then {description}"));
        return new SplitFingerprint(data.Count, shape, Convert.ToHexStringLower(both));
    }

    private static SplitFingerprint Of(ImageDataset data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendHeader(hash, [data.Count, data.Channels, data.Height, data.Width, data.Classes, data.TargetSize]);
        Append(hash, data.Images, data.Images.Length);
        if ((data.Labels ?? data.Masks) is int[] targets)
            Append(hash, targets, targets.Length);
        return new SplitFingerprint(data.Count, $"{data.Channels}x{data.Height}x{data.Width}", Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    // As Of(ImageDataset) hashes the same items held in memory: the header, every image in order, then the labels.
    private static SplitFingerprint OfStreamed(IDataset data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int targetSize = data.Classes > 0 ? 1 : 0, imageSize = data.Channels * data.Height * data.Width;
        AppendHeader(hash, [data.Count, data.Channels, data.Height, data.Width, data.Classes, targetSize]);
        var labels = new int[data.Count];
        const int Chunk = 256; // items decoded in parallel, then hashed in order
        var images = new float[Chunk * imageSize];
        for (int start = 0; start < data.Count; start += Chunk)
        {
            int count = Math.Min(Chunk, data.Count - start);
            Parallel.For(0, count, i => labels[start + i] = data.Read(start + i, images.AsSpan(i * imageSize, imageSize)));
            Append(hash, images, count * imageSize);
        }
        if (targetSize == 1)
            Append(hash, labels, labels.Length);
        return new SplitFingerprint(data.Count, $"{data.Channels}x{data.Height}x{data.Width}", Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>How <paramref name="now"/> differs, naming the split (null when it does not).</summary>
    internal string? Difference(string split, SplitFingerprint now) =>
        Images != now.Images || Shape != now.Shape ? $"the {split} images were {Images} of {Shape}, now {now.Images} of {now.Shape}"
        : Sha256 != now.Sha256 ? $"the {split} images or their targets differ (SHA-256 {Sha256[..12]}... then, {now.Sha256[..12]}... now; {Images} images of {Shape} both times)"
        : null;

    // The split's dimensions (count, C, H, W, classes, targets per image) as little-endian int32s.
    private static void AppendHeader(IncrementalHash hash, ReadOnlySpan<int> dims)
    {
        Span<byte> head = stackalloc byte[4 * dims.Length];
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(head[(4 * i)..], dims[i]);
        hash.AppendData(head);
    }

    // In parts: a span of bytes cannot describe more than 2 GiB.
    private static void Append<T>(IncrementalHash hash, T[] values, int length) where T : unmanaged
    {
        const int Part = 1 << 26;
        for (long start = 0; start < length; start += Part)
        {
            var part = values.AsSpan((int)start, (int)Math.Min(Part, length - start));
            if (BitConverter.IsLittleEndian)
            {
                hash.AppendData(MemoryMarshal.AsBytes(part));
            }
            else
            {
                var copy = MemoryMarshal.Cast<T, int>(part).ToArray();
                BinaryPrimitives.ReverseEndianness(copy, copy);
                hash.AppendData(MemoryMarshal.AsBytes(copy.AsSpan()));
            }
        }
    }
}
