using Engine.Tests.Infrastructure;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Engine.IO;

namespace Engine.Tests.IO;

[DeviceIndependent("the readers parse files on the host")]
public sealed class ReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-io-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void NpyRoundTripsAndReadsNumPysOwnHeaders()
    {
        float[] values = [1.5f, -2f, 3.25f, 0f, float.MaxValue, -0f];
        NpyFile.Write(PathOf("a.npy"), values, 2, 3);
        var read = NpyFile.Read(PathOf("a.npy"));
        Assert.Equal([2, 3], read.Shape);
        Assert.Equal(values, read.Data);
        Assert.Equal(0, (File.ReadAllBytes(PathOf("a.npy")).Length - 6 * 4) % 64); // header padded to 64 bytes

        // As numpy.save writes a float64 vector: version 1.0, "(3,)" shape.
        string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
        header = header.PadRight(118) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.AddRange([1, 0, (byte)header.Length, 0]);
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        foreach (double v in new[] { 0.5, -1.0, 2.0 })
            bytes.AddRange(BitConverter.GetBytes(v));
        File.WriteAllBytes(PathOf("f8.npy"), [.. bytes]);
        var f8 = NpyFile.Read(PathOf("f8.npy"));
        Assert.Equal([3], f8.Shape);
        Assert.Equal([0.5f, -1f, 2f], f8.Data);
    }

    [Fact]
    public void MalformedNpyFilesAreReported()
    {
        NpyFile.Write(PathOf("ok.npy"), new float[12], 3, 4);
        byte[] bytes = File.ReadAllBytes(PathOf("ok.npy"));
        File.WriteAllBytes(PathOf("short.npy"), bytes[..^4]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => NpyFile.Read(PathOf("short.npy"))).Message);
        File.WriteAllBytes(PathOf("text.npy"), Encoding.ASCII.GetBytes("not numpy at all"));
        Assert.Contains("not a .npy file", Assert.Throws<InvalidDataException>(() => NpyFile.Read(PathOf("text.npy"))).Message);
        var fortran = (byte[])bytes.Clone();
        var text = Encoding.Latin1.GetString(fortran);
        int at = text.IndexOf("False", StringComparison.Ordinal);
        Encoding.Latin1.GetBytes("True ", fortran.AsSpan(at));
        File.WriteAllBytes(PathOf("fortran.npy"), fortran);
        Assert.Contains("Fortran order", Assert.Throws<InvalidDataException>(() => NpyFile.Read(PathOf("fortran.npy"))).Message);
        var int64 = Encoding.Latin1.GetBytes(text.Replace("<f4", "<i8"));
        File.WriteAllBytes(PathOf("i8.npy"), int64);
        Assert.Contains("dtype <i8", Assert.Throws<InvalidDataException>(() => NpyFile.Read(PathOf("i8.npy"))).Message);
        Assert.Throws<FileNotFoundException>(() => NpyFile.Read(PathOf("absent.npy")));
    }

    private static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    [Fact]
    public void IdxImagesAndLabelsAreRead_PlainAndGzipped()
    {
        byte[] pixels = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();
        File.WriteAllBytes(PathOf("images.idx"), Idx(0x0803, [2, 3, 4], pixels));
        var images = IdxFile.ReadImages(PathOf("images.idx"));
        Assert.Equal([2, 1, 3, 4], images.Shape);
        Assert.Equal(230 / 255f, images.Data[23]);
        using (var gz = new GZipStream(File.Create(PathOf("labels.idx.gz")), CompressionLevel.Fastest))
            gz.Write(Idx(0x0801, [3], [7, 0, 9]));
        Assert.Equal([7, 0, 9], IdxFile.ReadLabels(PathOf("labels.idx.gz")));
    }

    [Fact]
    public void MalformedIdxFilesAreReported()
    {
        File.WriteAllBytes(PathOf("cut.idx"), Idx(0x0803, [2, 3, 4], new byte[20]));
        Assert.Contains("should hold 24 data bytes for dimensions [2, 3, 4] but holds 20", Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(PathOf("cut.idx"))).Message);
        File.WriteAllBytes(PathOf("labels.idx"), Idx(0x0801, [3], [1, 2, 3]));
        Assert.Contains("expected 0x00000803 (uint8 images)", Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(PathOf("labels.idx"))).Message);
        File.WriteAllBytes(PathOf("bad.gz"), [0x1f, 0x8b, 1, 2, 3]);
        Assert.Contains("damaged gzip", Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(PathOf("bad.gz"))).Message);
    }

    private static byte[] Nifti(short datatype, short[] dims, byte[] voxels, float slope = 1, float intercept = 0, bool bigEndian = false)
    {
        var bytes = new byte[352 + voxels.Length];
        void I32(int at, int v) { if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at), v); else BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), v); }
        void I16(int at, short v) { if (bigEndian) BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(at), v); else BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(at), v); }
        void F32(int at, float v) { if (bigEndian) BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(at), v); else BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), v); }
        I32(0, 348);
        I16(40, (short)dims.Length);
        for (int d = 0; d < dims.Length; d++)
            I16(42 + 2 * d, dims[d]);
        I16(70, datatype);
        F32(108, 352);
        F32(112, slope);
        F32(116, intercept);
        voxels.CopyTo(bytes, 352);
        return bytes;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NiftiVolumesAreReadWithTheirScaling(bool bigEndian)
    {
        var voxels = new byte[2 * 3 * 2 * 2];
        for (int i = 0; i < 12; i++)
        {
            if (bigEndian) BinaryPrimitives.WriteInt16BigEndian(voxels.AsSpan(2 * i), (short)(i - 3));
            else BinaryPrimitives.WriteInt16LittleEndian(voxels.AsSpan(2 * i), (short)(i - 3));
        }
        File.WriteAllBytes(PathOf("v.nii"), Nifti(4, [2, 3, 2], voxels, slope: 2, intercept: 1, bigEndian: bigEndian));
        var volume = NiftiFile.Read(PathOf("v.nii"));
        Assert.Equal((2, 3, 2), (volume.X, volume.Y, volume.Z));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (i - 3) * 2f + 1).ToArray(), volume.Data);
        Assert.Equal(volume.Data[6..], volume.Slice(1).ToArray());
    }

    [Fact]
    public void MalformedNiftiFilesAreReported()
    {
        File.WriteAllBytes(PathOf("cut.nii"), Nifti(2, [4, 4, 2], new byte[20]));
        Assert.Contains("should hold 32 voxel bytes", Assert.Throws<InvalidDataException>(() => NiftiFile.Read(PathOf("cut.nii"))).Message);
        File.WriteAllBytes(PathOf("rgb.nii"), Nifti(128, [2, 2, 1], new byte[12]));
        Assert.Contains("datatype 128", Assert.Throws<InvalidDataException>(() => NiftiFile.Read(PathOf("rgb.nii"))).Message);
        File.WriteAllBytes(PathOf("junk.nii"), new byte[400]);
        Assert.Contains("sizeof_hdr is not 348", Assert.Throws<InvalidDataException>(() => NiftiFile.Read(PathOf("junk.nii"))).Message);
        File.WriteAllBytes(PathOf("tiny.nii"), new byte[10]);
        Assert.Contains("is truncated: it ends inside the 348-byte NIfTI-1 header", Assert.Throws<InvalidDataException>(() => NiftiFile.Read(PathOf("tiny.nii"))).Message);
    }
}
