using Engine.Tests.Infrastructure;
using Engine.Checkpoints;
using Engine.IO;
using static Engine.Tests.Infrastructure.SampleFiles;

namespace Engine.Tests.IO;

/// <summary>
/// What a file's header claims does not decide how much memory a read takes: a gzip bomb is
/// stopped at the declared size, a header that claims more than the file holds fails before the
/// claim is allocated, and files over 2 GB load part by part (sparse files here, so no disk is used).
/// </summary>
[DeviceIndependent("the readers' memory bounds are host code")]
public sealed class BoundedMemoryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-memory-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void AGzipBombBehindASmallHeaderStopsAtTheDeclaredSize()
    {
        // 128 images of 28x28 declared (100 KB), followed by 256 MiB of zeros: about 250 KB compressed.
        byte[] bomb = GzipBomb(IdxImages(128, 28), 256L << 20);
        Assert.True(bomb.Length < 1 << 20, $"{bomb.Length} bytes");
        InvalidDataException? error = null;
        long allocated = Allocated(() => error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(new MemoryStream(bomb), "bomb.gz")));
        Assert.Contains("holds more than the 100352 data bytes its dimensions [128, 28, 28] declare", error!.Message);
        Assert.True(allocated < 8L << 20, $"reading the bomb allocated {allocated >> 20} MiB");

        byte[] niftiBomb = GzipBomb(Nifti(16, 16, 16, new byte[4096]), 256L << 20);
        allocated = Allocated(() => Assert.Equal(16, NiftiFile.Read(new MemoryStream(niftiBomb), "bomb.nii.gz").Z)); // the voxels it declares, not the rest
        Assert.True(allocated < 8L << 20, $"reading the NIfTI bomb allocated {allocated >> 20} MiB");
    }

    [Fact]
    public void AHeaderThatClaimsMoreThanTheFileHoldsFailsBeforeAllocatingIt()
    {
        // 2 billion floats (8 GB) declared in a few hundred compressed bytes.
        byte[] npy = Gzip(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000,), }", new byte[4096]));
        long allocated = Allocated(() => Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => NpyFile.Read(new MemoryStream(npy), "claims.npy.gz")).Message));
        Assert.True(allocated < 8L << 20, $"{allocated >> 20} MiB");

        byte[] nifti = Gzip(Nifti(2000, 2000, 500, new byte[4096]));
        allocated = Allocated(() => Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => NiftiFile.Read(new MemoryStream(nifti), "claims.nii.gz")).Message));
        Assert.True(allocated < 8L << 20, $"{allocated >> 20} MiB");
    }

    [Fact]
    public void SafeTensorsOverTwoGigabytesLoadTensorByTensor()
    {
        const long big = 600_000_000; // 2.4 GB of float32
        string header = $"{{\"big\":{{\"dtype\":\"F32\",\"shape\":[{big}],\"data_offsets\":[0,{big * 4}]}}," +
                        $"\"tail\":{{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[{big * 4},{big * 4 + 12}]}}}}";
        string path = Path.Combine(_folder, "large.safetensors");
        byte[] start = SafeTensors(header, []);
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            file.Write(start);
            file.SetLength(start.Length + big * 4 + 12); // sparse: the big tensor reads as zeros
            file.Position = start.Length + big * 4;
            foreach (float v in new[] { 1.5f, -2f, 3.25f })
                file.Write(BitConverter.GetBytes(v));
        }
        Assert.True(new FileInfo(path).Length > 2L << 30);
        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal(big, reader.Info("big").Count);
        float[] tail = [];
        long allocated = Allocated(() => tail = reader.ReadFloats("tail"));
        Assert.Equal([1.5f, -2f, 3.25f], tail);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes to read 12");
    }

    [Fact]
    public void OneArrayOfMoreThanTwoGibibytesLoadsWhole()
    {
        // 540 million floats (2.16 GB): more than one span of bytes can describe (2^31 - 1), so reads go in parts.
        // (About 10 s each here: the time goes to first-touch page faults of the fresh array in this VM.)
        const int count = 540_000_000;
        string npy = Path.Combine(_folder, "whole.npy");
        byte[] header = Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({count},), }}", []);
        using (var file = new FileStream(npy, FileMode.CreateNew))
        {
            file.Write(header);
            file.SetLength(header.Length + count * 4L);
            file.Position = header.Length + count * 4L - 4;
            file.Write(BitConverter.GetBytes(-3.5f));
        }
        var array = NpyFile.Read(npy);
        Assert.Equal(count, array.Data.Length);
        Assert.Equal(-3.5f, array.Data[^1]);
        File.Delete(npy);
        array = null;
        GC.Collect();

        string tensors = Path.Combine(_folder, "whole.safetensors");
        byte[] start = SafeTensors($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[{count}],\"data_offsets\":[0,{count * 4L}]}}}}", []);
        using (var file = new FileStream(tensors, FileMode.CreateNew))
        {
            file.Write(start);
            file.SetLength(start.Length + count * 4L);
            file.Position = start.Length + count * 4L - 4;
            file.Write(BitConverter.GetBytes(2.25f));
        }
        using var reader = SafeTensorsReader.Open(tensors);
        float[] values = reader.ReadFloats("w");
        Assert.Equal(2.25f, values[^1]);
    }

    [Fact]
    public void NpyOverTwoGigabytesReadsInParts()
    {
        const int rows = 3, columns = 200_000_000; // 2.4 GB of float32
        string path = Path.Combine(_folder, "large.npy");
        byte[] header = Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}", []);
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            file.Write(header);
            file.SetLength(header.Length + (long)rows * columns * 4);
            file.Position = header.Length + (long)rows * columns * 4 - 4;
            file.Write(BitConverter.GetBytes(7.5f));
        }
        using var reader = NpyReader.Open(path);
        Assert.Equal([rows, columns], reader.Shape);
        var part = new float[1 << 24];
        float last = float.NaN;
        long allocated = Allocated(() =>
        {
            while (reader.Remaining > 0)
            {
                int n = (int)Math.Min(part.Length, reader.Remaining);
                reader.Read(part.AsSpan(0, n));
                last = part[n - 1];
            }
        });
        Assert.Equal(7.5f, last);
        Assert.True(allocated < 1 << 20, $"{allocated >> 20} MiB allocated beyond the caller's buffer");
    }
}
