using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Engine.Tests.Infrastructure;

/// <summary>Bytes of small valid files in each format the engine reads, and the pieces to make hostile ones.</summary>
internal static class SampleFiles
{
    /// <summary>A .npy file: magic, version, header length (or <paramref name="headerLength"/>), the dict, the data.</summary>
    public static byte[] Npy(string dict, ReadOnlySpan<byte> data, int version = 1, uint? headerLength = null)
    {
        string header = dict.PadRight((dict.Length + 12 + 63) / 64 * 64 - 12) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.Add((byte)version);
        bytes.Add(0);
        if (version == 1)
            bytes.AddRange(BitConverter.GetBytes((ushort)(headerLength ?? (uint)header.Length)));
        else
            bytes.AddRange(BitConverter.GetBytes(headerLength ?? (uint)header.Length));
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(data.ToArray());
        return [.. bytes];
    }

    /// <summary>A float32 .npy of a shape, values 0, 1, 2, ... scaled by 0.01.</summary>
    public static byte[] NpyFloats(params int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        var data = new byte[count * 4];
        for (int i = 0; i < count; i++)
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), i * 0.01f);
        string shapeText = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        return Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({shapeText}), }}", data);
    }

    /// <summary>An IDX file: big-endian magic and dimensions, then the bytes.</summary>
    public static byte[] Idx(int magic, int[] dims, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        data.CopyTo(bytes.AsSpan(4 + 4 * dims.Length));
        return bytes;
    }

    /// <summary>IDX images <c>[count, side, side]</c> with pixel values from a simple pattern.</summary>
    public static byte[] IdxImages(int count, int side) =>
        Idx(0x0803, [count, side, side], Enumerable.Range(0, count * side * side).Select(i => (byte)(i * 7 % 256)).ToArray());

    /// <summary>IDX labels 0..9 repeating.</summary>
    public static byte[] IdxLabels(int count) => Idx(0x0801, [count], Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());

    /// <summary>A little-endian NIfTI-1 single file of uint8 voxels.</summary>
    public static byte[] Nifti(short x, short y, short z, ReadOnlySpan<byte> voxels, float slope = 1, float intercept = 0, float voxOffset = 352, short datatype = 2)
    {
        var bytes = new byte[(int)Math.Max(voxOffset, 352) + voxels.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, 348);
        short[] dims = [3, x, y, z, 1, 1, 1, 1];
        for (int d = 0; d < 8; d++)
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(40 + 2 * d), dims[d]);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(70), datatype);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(72), 8);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(108), voxOffset);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(112), slope);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(116), intercept);
        Encoding.ASCII.GetBytes("n+1\0").CopyTo(bytes, 344);
        voxels.CopyTo(bytes.AsSpan(bytes.Length - voxels.Length));
        return bytes;
    }

    /// <summary>A safetensors file from its JSON header and data.</summary>
    public static byte[] SafeTensors(string header, ReadOnlySpan<byte> data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes.AsSpan(8 + json.Length));
        return bytes;
    }

    /// <summary>Gzip of the bytes.</summary>
    public static byte[] Gzip(ReadOnlySpan<byte> bytes, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level))
            gzip.Write(bytes);
        return output.ToArray();
    }

    /// <summary>
    /// A gzip stream whose content is <paramref name="head"/> followed by <paramref name="zeros"/>
    /// zero bytes, compressed as it is generated (a bomb: kilobytes that inflate to what is asked).
    /// </summary>
    public static byte[] GzipBomb(ReadOnlySpan<byte> head, long zeros)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(head);
            var block = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= block.Length)
                gzip.Write(block, 0, (int)Math.Min(left, block.Length));
        }
        return output.ToArray();
    }
}
