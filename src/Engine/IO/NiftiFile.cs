using System.Text;
using System.Buffers.Binary;

namespace Engine.IO;

/// <summary>A NIfTI-1 volume as floats, <c>[Z, Y, X]</c> (slices of rows of voxels), with its scaling applied.</summary>
/// <param name="X">Voxels along x (dim[1]).</param>
/// <param name="Y">Voxels along y (dim[2]).</param>
/// <param name="Z">Slices (dim[3]).</param>
/// <param name="Data">Values, x fastest.</param>
public sealed record NiftiVolume(int X, int Y, int Z, float[] Data)
{
    /// <summary>Its members as values (the shape as <c>[2, 3]</c>, the data by its size), not the arrays' type names.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"X = {X}, Y = {Y}, Z = {Z}, Data = {Data.Length} values");
        return true;
    }

    /// <summary>Slice z as a row-major <c>[Y, X]</c> image.</summary>
    public ReadOnlySpan<float> Slice(int z) => Data.AsSpan(z * X * Y, X * Y);
}

/// <summary>
/// NIfTI-1 single files (.nii, optionally .nii.gz): a 348-byte header (little- or big-endian,
/// told apart by sizeof_hdr), dims <c>int16[8]</c> at 40, datatype at 70, vox_offset at 108,
/// scl_slope and scl_inter at 112 and 116; then the voxels. Reads uint8, int16, int32, float32
/// and float64 volumes of up to three dimensions. Only the declared voxels are read (a gzip stream
/// is not inflated beyond them), and non-finite voxels or scaling are refused, naming the first.
/// </summary>
public static class NiftiFile
{
    private const int HeaderSize = 348, MinimumDataOffset = 352;

    /// <summary>Reads a volume; the message of any error names the file and the field.</summary>
    public static NiftiVolume Read(string path)
    {
        using var file = InputFile.Open(path);
        return Parse(file);
    }

    /// <summary>Reads a volume from a stream (e.g. an embedded resource); <paramref name="source"/> names it in errors.</summary>
    public static NiftiVolume Read(Stream stream, string source)
    {
        using var file = InputFile.Open(stream, source);
        return Parse(file);
    }

    private static NiftiVolume Parse(InputFile file)
    {
        string where = file.Source;
        var header = new byte[HeaderSize];
        file.ReadExactly(header, "the 348-byte NIfTI-1 header");
        bool little = BinaryPrimitives.ReadInt32LittleEndian(header) == HeaderSize;
        if (!little && BinaryPrimitives.ReadInt32BigEndian(header) != HeaderSize)
            throw new InvalidDataException($"{where} is not NIfTI-1: sizeof_hdr is not 348.");
        short Int16(int at) => little ? BinaryPrimitives.ReadInt16LittleEndian(header.AsSpan(at)) : BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(at));
        float Single(int at) => little ? BinaryPrimitives.ReadSingleLittleEndian(header.AsSpan(at)) : BinaryPrimitives.ReadSingleBigEndian(header.AsSpan(at));

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
        float offsetValue = Single(108);
        if (!float.IsFinite(offsetValue) || offsetValue < MinimumDataOffset || offsetValue > int.MaxValue || offsetValue != MathF.Floor(offsetValue))
            throw new InvalidDataException($"{where} has vox_offset {offsetValue}; a single-file NIfTI-1 needs a whole number of at least {MinimumDataOffset}.");
        long offset = (long)offsetValue;
        long count = (long)dims[0] * dims[1] * dims[2]; // three int16 factors: no overflow
        file.CheckArrayLength(count, sizeof(float), "voxels");
        long bytes = count * size;
        if (file.Length is long length && length < offset + bytes)
            throw new InvalidDataException($"{where} should hold {bytes} voxel bytes from offset {offset} but holds {Math.Max(0, length - offset)} (truncated?).");
        float slope = Single(112), intercept = Single(116);
        if (slope == 0 || float.IsNaN(slope))
        {
            slope = 1; // NIfTI-1: a zero (or unset) slope means the voxels are stored unscaled
            intercept = 0;
        }
        if (!float.IsFinite(slope) || !float.IsFinite(intercept))
            throw new InvalidDataException($"{where} has scl_slope {slope} and scl_inter {intercept}; the scaling must be finite.");

        file.CheckDeclared(offset - HeaderSize + bytes, "header extensions and voxels");
        file.Skip(offset - HeaderSize, "the header extensions before vox_offset");
        file.CheckArrayLength(bytes, 1, "voxel bytes");
        // Read first (a compressed file grows the buffer as data arrives), convert after: a header
        // that lies about the size fails at the end of the data, not by allocating what it claims.
        byte[] raw = file.ReadBytes(bytes, "its voxels");
        var data = new float[count];
        for (long i = 0; i < count; i++)
            data[i] = Voxel(raw.AsSpan((int)(i * size)), datatype, little, slope, intercept);
        int bad = Array.FindIndex(data, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            int nonFinite = data.Count(v => !float.IsFinite(v));
            throw new InvalidDataException($"{where} holds {nonFinite} non-finite voxel value(s) after scaling; the first, {data[bad]}, at (x {bad % dims[0]}, y {bad / dims[0] % dims[1]}, z {bad / ((long)dims[0] * dims[1])}).");
        }
        return new NiftiVolume(dims[0], dims[1], dims[2], data);
    }

    private static float Voxel(ReadOnlySpan<byte> at, short datatype, bool little, float slope, float intercept)
    {
        double raw = datatype switch
        {
            2 => at[0],
            4 => little ? BinaryPrimitives.ReadInt16LittleEndian(at) : BinaryPrimitives.ReadInt16BigEndian(at),
            8 => little ? BinaryPrimitives.ReadInt32LittleEndian(at) : BinaryPrimitives.ReadInt32BigEndian(at),
            16 => little ? BinaryPrimitives.ReadSingleLittleEndian(at) : BinaryPrimitives.ReadSingleBigEndian(at),
            _ => little ? BinaryPrimitives.ReadDoubleLittleEndian(at) : BinaryPrimitives.ReadDoubleBigEndian(at),
        };
        return (float)(raw * slope + intercept);
    }
}
