using Engine.Tests.Infrastructure;
using System.Buffers.Binary;
using Engine.Checkpoints;
using Engine.IO;

namespace Engine.Tests.Checkpoints;

/// <summary>The writer enforces every limit the reader has: a file it writes is one it reads, and what it refuses leaves the file there unchanged.</summary>
[DeviceIndependent("the safetensors header limits are the reader's and writer's host code")]
public sealed class HeaderLimitTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-header-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AHeaderOfExactlyTheLimitIsWrittenAndReadOneByteMoreIsRefused()
    {
        string path = Path.Combine(_folder, "limit.safetensors");
        var tensors = new[] { SafeTensor.FromFloats("t", [1f], 1) };
        // {"__metadata__":{"k":"<v>"},"t":{...}} grows by one byte per character of v (ASCII, no escapes).
        const string Frame = "{\"__metadata__\":{\"k\":\"\"},\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        int fits = (int)SafeTensorsFile.MaxHeaderBytes - Frame.Length; // a multiple of 8 already: no padding
        SafeTensorsFile.Write(path, tensors, new Dictionary<string, string> { ["k"] = new string('a', fits) });
        byte[] head = new byte[8];
        using (var file = File.OpenRead(path))
            file.ReadExactly(head);
        Assert.Equal((ulong)SafeTensorsFile.MaxHeaderBytes, BinaryPrimitives.ReadUInt64LittleEndian(head));
        using (var reader = SafeTensorsReader.Open(path))
            Assert.Equal(fits, reader.Metadata["k"].Length);

        byte[] before = File.ReadAllBytes(path);
        var error = Assert.Throws<InvalidDataException>(() =>
            SafeTensorsFile.Write(path, tensors, new Dictionary<string, string> { ["k"] = new string('a', fits + 1) }));
        Assert.Contains("its header would be 100,000,008 bytes, more than the 100,000,000 a reader accepts", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.DoesNotContain(Directory.EnumerateFiles(_folder), AtomicFile.IsTemporary);
    }

    [Fact]
    public void NamesTheReaderWouldTakeForMetadataAreRefused()
    {
        string path = Path.Combine(_folder, "reserved.safetensors");
        Assert.Contains("cannot be named '__metadata__'", Assert.Throws<ArgumentException>(() =>
            SafeTensorsFile.Write(path, [SafeTensor.FromFloats("__metadata__", [1f], 1)])).Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void QuotesInMetadataAreWrittenShort()
    {
        // JSON inside a metadata string (the run information) is a third smaller without \u0022 escapes.
        string path = Path.Combine(_folder, "quotes.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.FromFloats("t", [1f], 1)], new Dictionary<string, string> { ["k"] = "{\"a\":\"b\"}" });
        string header = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path)[8..]);
        Assert.Contains("\"k\":\"{\\\"a\\\":\\\"b\\\"}\"", header);
        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal("{\"a\":\"b\"}", reader.Metadata["k"]);
    }
}
