using System.Text;
using Engine.Checkpoints;
using Engine.Modules.Layers;
using Engine.Optim;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Checkpoints;

[Collection(DeviceCollection.Name)]
public sealed class CheckpointTests(DeviceFixture fixture) : IDisposable
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Sequential Model() => new(new Conv2d(2, 3, 3), new BatchNorm2d(3), new Flatten(), new Linear(12, 4));

    [Fact]
    public void RoundTripIsBitExactIncludingCountersAndOptimiserState()
    {
        var model = Model();
        model.Initialize(_device, seed: 5);
        var path = Path.Combine(_folder, "model.safetensors");
        StateDict.Save(model, path);
        var copy = Model();
        copy.Initialize(_device, seed: 99);
        StateDict.Load(copy, path);
        var original = model.NamedState().ToDictionary(s => s.Name, s => s.State.Value.ToArray());
        foreach (var (name, state) in copy.NamedState())
            Reference.AssertExactly(original[name], state.Value.ToArray(), name);
        var (tensors, _) = SafeTensorsFile.Read(path);
        Assert.Equal(SafeTensorType.I64, tensors["1.num_batches_tracked"].Type);

        using var adam = new Adam(model.NamedParameters().Select(p => p.Parameter), 0.01f);
        foreach (var (_, p) in model.NamedParameters())
            Engine.Ops.TensorOps.Fill(p.Grad, 0.5f);
        adam.Step();
        adam.Step();
        var optimizerPath = Path.Combine(_folder, "optimizer.safetensors");
        StateDict.SaveOptimizer(adam, optimizerPath);
        using var restored = new Adam(copy.NamedParameters().Select(p => p.Parameter), 0.5f);
        StateDict.LoadOptimizer(restored, optimizerPath);
        Assert.Equal(2, restored.StepCount);
        Assert.Equal(0.01f, restored.LearningRate);
        var a = adam.State().ToList();
        var b = restored.State().ToList();
        for (int i = 0; i < a.Count; i++)
            Reference.AssertExactly(a[i].State.ToArray(), b[i].State.ToArray(), a[i].Name);
        model.Release();
        copy.Release();
    }

    [Fact]
    public void TruncatedAndCorruptedFilesAreReportedNotHalfRead()
    {
        var model = Model();
        model.Initialize(_device, seed: 1);
        var path = Path.Combine(_folder, "good.safetensors");
        StateDict.Save(model, path);
        byte[] bytes = File.ReadAllBytes(path);

        var truncated = Path.Combine(_folder, "truncated.safetensors");
        File.WriteAllBytes(truncated, bytes[..^10]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(truncated)).Message);

        var corrupted = Path.Combine(_folder, "corrupted.safetensors");
        var damaged = (byte[])bytes.Clone();
        damaged[8] = (byte)'x'; // the opening brace of the JSON header
        File.WriteAllBytes(corrupted, damaged);
        Assert.Contains("damaged header", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(corrupted)).Message);

        var tiny = Path.Combine(_folder, "tiny.safetensors");
        File.WriteAllBytes(tiny, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(tiny)).Message);
        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Read(Path.Combine(_folder, "absent.safetensors")));

        var before = model.NamedState().First().State.Value.ToArray();
        Assert.Throws<InvalidDataException>(() => StateDict.Load(model, truncated));
        Assert.Equal(before, model.NamedState().First().State.Value.ToArray());
        model.Release();
    }

    [Fact]
    public void MissingUnexpectedAndMisshapenTensorsAreNamed()
    {
        var model = Model();
        model.Initialize(_device, seed: 1);
        var tensors = StateDict.Collect(model).ToDictionary(t => t.Name);
        var first = model.NamedState().First().State.Value.ToArray();

        var withoutBias = tensors.Where(t => t.Key != "3.bias").ToDictionary();
        var missing = Assert.Throws<InvalidDataException>(() => StateDict.Load(model, withoutBias));
        Assert.Contains("missing 3.bias", missing.Message);

        var extra = new Dictionary<string, SafeTensor>(tensors) { ["fc.weight"] = SafeTensor.FromFloats("fc.weight", [1f], 1) };
        Assert.Contains("unexpected fc.weight", Assert.Throws<InvalidDataException>(() => StateDict.Load(model, extra)).Message);
        StateDict.Load(model, extra, strict: false); // non-strict ignores extra names

        var misshapen = new Dictionary<string, SafeTensor>(tensors) { ["0.weight"] = SafeTensor.FromFloats("0.weight", new float[54], 3, 2, 9) };
        var shape = Assert.Throws<InvalidDataException>(() => StateDict.Load(model, misshapen));
        Assert.Contains("0.weight has shape [3, 2, 9] in the file but [3, 2, 3, 3] in the model", shape.Message);
        Assert.Equal(first, model.NamedState().First().State.Value.ToArray());
        model.Release();
    }

    [Fact]
    public void AFileWrittenByAnotherWriterLoads()
    {
        // As PyTorch's safetensors writes it: metadata first, keys in another order, padded header, I64 counter.
        var model = new Sequential(new Linear(2, 1), new BatchNorm2d(1));
        model.Initialize(_device);
        string header = "{\"__metadata__\":{\"format\":\"pt\"},\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}," +
            "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]},\"0.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}," +
            "\"1.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},\"1.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}," +
            "\"1.running_mean\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[28,32]},\"1.running_var\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[32,36]}}";
        while (header.Length % 8 != 0)
            header += " ";
        using var stream = new MemoryStream();
        stream.Write(BitConverter.GetBytes((ulong)header.Length));
        stream.Write(Encoding.UTF8.GetBytes(header));
        stream.Write(BitConverter.GetBytes(7L));
        foreach (float v in new[] { 0.5f, -1.5f, 0.25f, 2f, -3f, 0.75f, 1.25f })
            stream.Write(BitConverter.GetBytes(v));
        var path = Path.Combine(_folder, "torch.safetensors");
        File.WriteAllBytes(path, stream.ToArray());
        StateDict.Load(model, path);
        Assert.Equal([0.5f, -1.5f], ((Linear)model.Child("0")).Weight.Value.ToArray());
        Assert.Equal(7, ((BatchNorm2d)model.Child("1")).BatchesTracked);
        Assert.Equal([1.25f], ((BatchNorm2d)model.Child("1")).RunningVar.Value.ToArray());
        model.Release();
    }

    [Fact]
    public void AFailedSaveLeavesThePreviousFileIntact()
    {
        var path = Path.Combine(_folder, "keep.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.FromFloats("a", [1f, 2f], 2)]);
        byte[] before = File.ReadAllBytes(path);
        IEnumerable<SafeTensor> Crashing()
        {
            yield return SafeTensor.FromFloats("a", [3f, 4f], 2);
            throw new IOException("disk unplugged");
        }
        Assert.Throws<IOException>(() => SafeTensorsFile.Write(path, Crashing()));
        // A crash while writing the data (a tensor whose byte count is wrong) also keeps the old file.
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [new SafeTensor("a", SafeTensorType.F32, [2], new byte[3])]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder)); // no temporary file left behind
    }

    [Fact]
    public void ACheckpointHoldingANonFiniteValueIsNotWritten()
    {
        // What a load refuses, the writer refuses: a NaN running variance would make a checkpoint no resume or eval takes.
        var model = Model();
        model.Initialize(_device, seed: 5);
        using var adam = new Adam(model.NamedParameters().Select(p => p.Parameter), 0.01f);
        string path = Path.Combine(_folder, "training.safetensors");
        TrainingCheckpoint.Save(path, model, adam, new Dictionary<string, string>());
        byte[] before = File.ReadAllBytes(path);
        var variance = model.NamedState().Single(s => s.Name == "1.running_var").State.Value;
        var values = variance.ToArray();
        values[2] = float.NaN;
        variance.CopyFrom(values);
        var error = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Save(path, model, adam, new Dictionary<string, string>()));
        Assert.Contains("1.running_var holds a non-finite value (NaN) at flat index 2", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.DoesNotContain(Directory.EnumerateFiles(_folder), Engine.IO.AtomicFile.IsTemporary);
    }

    [Fact]
    public void OneSaveWritesTheBestAndLastCheckpointsWithTheSameBytesOrNeither()
    {
        // A run's best commit writes two files from one gathering of the tensors: the same bytes,
        // each a whole checkpoint; a state that cannot be written leaves both files as they were.
        var model = Model();
        model.Initialize(_device, seed: 6);
        using var adam = new Adam(model.NamedParameters().Select(p => p.Parameter), 0.01f);
        string best = Path.Combine(_folder, "best.safetensors"), last = Path.Combine(_folder, "last.safetensors");
        var metadata = new Dictionary<string, string> { ["epoch"] = "3" };
        TrainingCheckpoint.Save([best, last], model, adam, metadata);
        byte[] written = File.ReadAllBytes(best);
        Assert.Equal(written, File.ReadAllBytes(last));
        string single = Path.Combine(_folder, "single.safetensors");
        TrainingCheckpoint.Save(single, model, adam, metadata);
        Assert.Equal(written, File.ReadAllBytes(single));
        Assert.Equal("3", TrainingCheckpoint.ReadMetadata(last)["epoch"]);

        var variance = model.NamedState().Single(s => s.Name == "1.running_var").State.Value;
        var values = variance.ToArray();
        values[0] = float.PositiveInfinity;
        variance.CopyFrom(values);
        var error = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Save([best, last], model, adam, metadata));
        Assert.StartsWith($"Not writing '{best}' or '{last}': 1.running_var holds a non-finite value", error.Message);
        Assert.Equal(written, File.ReadAllBytes(best));
        Assert.Equal(written, File.ReadAllBytes(last));
        Assert.Throws<ArgumentException>(() => TrainingCheckpoint.Save(Array.Empty<string>(), model, adam, metadata));
    }
}
