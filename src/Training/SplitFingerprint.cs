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
    /// <summary>The fingerprint of a split.</summary>
    public static SplitFingerprint Of(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> head = stackalloc byte[24];
        int[] dims = [data.Count, data.Channels, data.Height, data.Width, data.Classes, data.TargetSize];
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(head[(4 * i)..], dims[i]);
        hash.AppendData(head);
        Append(hash, data.Images);
        if ((data.Labels ?? data.Masks) is int[] targets)
            Append(hash, targets);
        return new SplitFingerprint(data.Count, $"{data.Channels}x{data.Height}x{data.Width}", Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>How <paramref name="now"/> differs, naming the split (null when it does not).</summary>
    internal string? Difference(string split, SplitFingerprint now) =>
        Images != now.Images || Shape != now.Shape ? $"the {split} images were {Images} of {Shape}, now {now.Images} of {now.Shape}"
        : Sha256 != now.Sha256 ? $"the {split} images or their targets differ (SHA-256 {Sha256[..12]}... then, {now.Sha256[..12]}... now; {Images} images of {Shape} both times)"
        : null;

    // In parts: a span of bytes cannot describe more than 2 GiB.
    private static void Append<T>(IncrementalHash hash, T[] values) where T : unmanaged
    {
        const int Part = 1 << 26;
        for (long start = 0; start < values.Length; start += Part)
        {
            var part = values.AsSpan((int)start, (int)Math.Min(Part, values.Length - start));
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
