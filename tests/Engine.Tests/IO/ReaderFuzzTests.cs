using System.Buffers.Binary;
using CsCheck;
using Engine.Checkpoints;
using Engine.Cli.Training;
using Engine.Training;
using Engine.IO;
using Engine.Tests.Infrastructure;
using static Engine.Tests.Infrastructure.SampleFiles;

namespace Engine.Tests.IO;

/// <summary>
/// Thousands of mutated and truncated copies of valid files go through each reader (CsCheck
/// generates them; a failure is shrunk to a small case and printed with its seed). The only
/// outcomes allowed are a load or the reader's own <see cref="InvalidDataException"/>: no other
/// exception, no hang, and no allocation beyond a bound (the inputs are kilobytes).
/// </summary>
[DeviceIndependent("the readers parse files on the host")]
public sealed class ReaderFuzzTests
{
    private const int Iterations = 10_000;
    private const long AllocationBound = 64L << 20;

    /// <summary>
    /// A mutation of <paramref name="valid"/>: bytes overwritten, a field set to an extreme value,
    /// a cut, bytes inserted, or a slice repeated.
    /// </summary>
    private static Gen<byte[]> Mutations(byte[] valid) =>
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, valid.Length], Gen.Int[0, valid.Length - 1].Array[1, 6], Gen.Byte.Array[1, 16], Gen.Int[0, 7])
            .Select((kind, at, positions, bytes, extreme) =>
            {
                var list = valid.ToList();
                switch (kind)
                {
                    case 0: // overwrite a few bytes
                        for (int i = 0; i < positions.Length; i++)
                            list[positions[i]] = bytes[i % bytes.Length];
                        break;
                    case 1: // an extreme 32- or 64-bit value in a header field, either byte order
                        ulong[] values = [0, uint.MaxValue, int.MaxValue, 0x80000000, ulong.MaxValue, long.MaxValue, 1UL << 40, 0x7F7FFFFF];
                        var field = new byte[extreme % 2 == 0 ? 4 : 8];
                        if (field.Length == 4)
                            BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)values[extreme]);
                        else
                            BinaryPrimitives.WriteUInt64LittleEndian(field, values[extreme]);
                        if (bytes[0] % 2 == 1)
                            Array.Reverse(field);
                        for (int i = 0; i < field.Length && at + i < list.Count; i++)
                            list[at + i] = field[i];
                        break;
                    case 2: // cut
                        list.RemoveRange(at, list.Count - at);
                        break;
                    case 3: // insert
                        list.InsertRange(at, bytes);
                        break;
                    case 4: // repeat a slice
                        int length = Math.Min(bytes.Length * 8, list.Count - at);
                        list.InsertRange(at, list.GetRange(at, length));
                        break;
                    default: // overwrite one byte near the start, where the headers are
                        list[Math.Min(at, 400) % list.Count] = bytes[0];
                        break;
                }
                return list.ToArray();
            });

    private static void Survives(byte[] valid, Action<Stream> read, string seed)
    {
        read(new MemoryStream(valid)); // the unmutated file loads
        Mutations(valid).Sample(bytes =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read(new MemoryStream(bytes, writable: false));
            }
            catch (InvalidDataException)
            {
                // the reader's own, clear error
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > AllocationBound)
                throw new InvalidOperationException($"reading {bytes.Length} bytes allocated {allocated >> 20} MiB");
        }, seed: seed, iter: Iterations, threads: 1);
    }

    [Fact]
    public void NpyReaderSurvivesMutations() =>
        Survives(NpyFloats(2, 3, 4), s => NpyFile.Read(s, "fuzz.npy"), "0000NpyFuzz0");

    [Fact]
    public void NpyReaderOfFloat64SurvivesMutations() =>
        Survives(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (5, 2), }", new byte[80]), s => NpyFile.Read(s, "fuzz8.npy"), "0000NpyFuzz8");

    [Fact]
    public void IdxReadersSurviveMutations()
    {
        Survives(IdxImages(3, 5), s => IdxFile.ReadImages(s, "fuzz-images"), "0000IdxImage");
        Survives(IdxLabels(20), s => IdxFile.ReadLabels(s, "fuzz-labels"), "0000IdxLabel");
    }

    [Fact]
    public void GzippedIdxSurvivesMutations() =>
        Survives(Gzip(IdxImages(4, 6)), s => IdxFile.ReadImages(s, "fuzz-images.gz"), "0000IdxGzip0");

    [Fact]
    public void NiftiReaderSurvivesMutations()
    {
        var voxels = Enumerable.Range(0, 6 * 5 * 4).Select(i => (byte)i).ToArray();
        Survives(Nifti(6, 5, 4, voxels), s => NiftiFile.Read(s, "fuzz.nii"), "0000Nifti000");
        Survives(Gzip(Nifti(6, 5, 4, voxels)), s => NiftiFile.Read(s, "fuzz.nii.gz"), "0000NiftiGz0");
    }

    [Fact]
    public void SafeTensorsReaderSurvivesMutations()
    {
        var tensors = new[]
        {
            SafeTensor.FromFloats("conv.weight", Enumerable.Range(0, 24).Select(i => i * 0.5f).ToArray(), 2, 3, 2, 2),
            SafeTensor.FromLongs("bn.num_batches_tracked", [7]),
            SafeTensor.FromFloats("bn.running_var", [1f, 2f], 2),
        };
        string path = Path.Combine(Path.GetTempPath(), $"engine-fuzz-{Guid.NewGuid():N}.safetensors");
        SafeTensorsFile.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "fuzz" });
        byte[] valid = File.ReadAllBytes(path);
        File.Delete(path);
        Survives(valid, s =>
        {
            using var reader = SafeTensorsReader.Open(s, "fuzz.safetensors");
            foreach (var t in reader.Tensors)
            {
                if (t.Type == SafeTensorType.F32)
                    reader.ReadFloats(t.Name);
                else
                    reader.ReadLongs(t.Name);
            }
        }, "0000SafeTens");
    }

    [Fact]
    public void CheckpointRunInformationSurvivesMutations()
    {
        var info = new CheckpointInfo
        {
            Task = "classification", Model = new Engine.Models.ModelOptions("resnet18", 10, 1, SmallStem: true, BaseWidth: 4),
            Options = new TrainSettings { Model = "resnet" }.Resolve().ToOptions(28),
            Application = System.Text.Json.JsonSerializer.SerializeToElement(new TrainSettings { Model = "resnet" }.Resolve()), Epoch = 2, Step = 3, StepsPerEpoch = 10, Metric = "accuracy",
            HigherIsBetter = true, Value = 0.5, Best = 0.5, BestEpoch = 2, NoiseOffset = 12, History = ["after epoch 1: --lr 0.002 -> 0.001"],
        };
        byte[] valid = System.Text.Encoding.UTF8.GetBytes(info.ToJson());
        Survives(valid, s =>
        {
            string json = new StreamReader(s, System.Text.Encoding.UTF8).ReadToEnd();
            CheckpointInfo.Parse(json, "fuzz");
        }, "0000RunInfo0");
    }
}
