using System.Buffers.Binary;

namespace Engine.IO;

/// <summary>A NIfTI-1 volume as floats, <c>[Z, Y, X]</c> (slices of rows of voxels), with its scaling applied.</summary>
/// <param name="X">Voxels along x (dim[1]).</param>
/// <param name="Y">Voxels along y (dim[2]).</param>
/// <param name="Z">Slices (dim[3]).</param>
/// <param name="Data">Values, x fastest.</param>
public sealed record NiftiVolume(int X, int Y, int Z, float[] Data)
{
    /// <summary>Slice z as a row-major <c>[Y, X]</c> image.</summary>
    public ReadOnlySpan<float> Slice(int z) => Data.AsSpan(z * X * Y, X * Y);
}

/// <summary>
/// NIfTI-1 single files (.nii, optionally .nii.gz): a 348-byte header (little- or big-endian,
/// told apart by sizeof_hdr), dims <c>int16[8]</c> at 40, datatype at 70, vox_offset at 108,
/// scl_slope and scl_inter at 112 and 116; then the voxels. Reads uint8, int16, int32, float32
/// and float64 volumes of up to three dimensions.
/// </summary>
public static class NiftiFile
{
    /// <summary>Reads a volume; the message of any error names the file and the field.</summary>
    public static NiftiVolume Read(string path) => Parse(FileBytes.ReadMaybeGzipped(path), path);

    /// <summary>Reads a volume from a stream (e.g. an embedded resource); <paramref name="source"/> names it in errors.</summary>
    public static NiftiVolume Read(Stream stream, string source) => Parse(FileBytes.ReadMaybeGzipped(stream, source), source);

    private static NiftiVolume Parse(byte[] bytes, string path)
    {
        string where = $"'{path}'";
        if (bytes.Length < 352)
            throw new InvalidDataException($"{where} is too short ({bytes.Length} bytes) for a NIfTI-1 file.");
        bool little = BinaryPrimitives.ReadInt32LittleEndian(bytes) == 348;
        if (!little && BinaryPrimitives.ReadInt32BigEndian(bytes) != 348)
            throw new InvalidDataException($"{where} is not NIfTI-1: sizeof_hdr is not 348.");
        short Int16(int at) => little ? BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(at)) : BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(at));
        float Single(int at) => little ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at)) : BinaryPrimitives.ReadSingleBigEndian(bytes.AsSpan(at));

        int rank = Int16(40);
        if (rank < 1 || rank > 7)
            throw new InvalidDataException($"{where} has dim[0] = {rank}, which is not 1 to 7.");
        var dims = Enumerable.Range(1, 7).Select(d => d <= rank ? (int)Int16(40 + 2 * d) : 1).ToArray();
        if (dims.Any(d => d <= 0))
            throw new InvalidDataException($"{where} has non-positive dimensions [{string.Join(", ", dims[..rank])}].");
        if (dims[3..].Any(d => d != 1))
            throw new InvalidDataException($"{where} has {rank} dimensions [{string.Join(", ", dims[..rank])}]; only volumes of up to 3 are read.");
        short datatype = Int16(70);
        int size = datatype switch { 2 => 1, 4 => 2, 8 => 4, 16 => 4, 64 => 8, _ => 0 };
        if (size == 0)
            throw new InvalidDataException($"{where} has datatype {datatype}; uint8 (2), int16 (4), int32 (8), float32 (16) and float64 (64) are read.");
        int offset = (int)Single(108);
        if (offset < 348)
            throw new InvalidDataException($"{where} has vox_offset {offset}, inside the header.");
        long count = (long)dims[0] * dims[1] * dims[2];
        if (bytes.Length < offset + count * size)
            throw new InvalidDataException($"{where} should hold {count * size} voxel bytes from offset {offset} but holds {bytes.Length - offset} (truncated?).");
        float slope = Single(112), intercept = Single(116);
        if (slope == 0 || float.IsNaN(slope))
        {
            slope = 1;
            intercept = 0;
        }
        var data = new float[count];
        for (long i = 0; i < count; i++)
        {
            var at = bytes.AsSpan(offset + (int)(i * size));
            double raw = datatype switch
            {
                2 => at[0],
                4 => little ? BinaryPrimitives.ReadInt16LittleEndian(at) : BinaryPrimitives.ReadInt16BigEndian(at),
                8 => little ? BinaryPrimitives.ReadInt32LittleEndian(at) : BinaryPrimitives.ReadInt32BigEndian(at),
                16 => little ? BinaryPrimitives.ReadSingleLittleEndian(at) : BinaryPrimitives.ReadSingleBigEndian(at),
                _ => little ? BinaryPrimitives.ReadDoubleLittleEndian(at) : BinaryPrimitives.ReadDoubleBigEndian(at),
            };
            data[i] = (float)(raw * slope + intercept);
        }
        return new NiftiVolume(dims[0], dims[1], dims[2], data);
    }
}
