using System.Buffers.Binary;
using System.Diagnostics;
using Engine.Cli;
using Engine.Cli.Commands;
using Engine.Cli.Training;
using Engine.IO;
using Engine.Tests.Infrastructure;
using Engine.Training;
using static Engine.Tests.Infrastructure.SampleFiles;

namespace Engine.Tests.Cli;

/// <summary>
/// No run lost: a checkpoint does not grow with the steps, a resume puts the step log back to its
/// checkpoint, a read-only folder is not taken for a busy one, a run trained with --data is
/// evaluated on it, and a signal or a kill leaves no temporary behind.
/// </summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("step logs, run folders, signals and temporaries are host file code")]
public sealed class RunSafetyTests(DeviceFixture fixture, ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-runsafety-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private TrainSettings Logged(string run, int epochs) => new()
    {
        Model = "resnet", Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, run), Epochs = epochs, Width = 4, Limit = 64, BatchSize = 8,
        SaveEvery = 1, LogEvery = 1, Plain = true,
    };

    private static long HeaderBytes(string checkpoint)
    {
        var head = new byte[8];
        using (var file = File.OpenRead(checkpoint))
            file.ReadExactly(head);
        return (long)BinaryPrimitives.ReadUInt64LittleEndian(head);
    }

    [Fact]
    public void ACheckpointDoesNotGrowWithTheStepsItLogs()
    {
        // 8 steps an epoch, every step logged and committed: 16 steps more log 16 records more
        // (about 75 bytes each in a header); the header grows by two epoch records only.
        var errors = new StringWriter();
        Assert.True(TrainCommand.Run(Logged("two", 2), TextWriter.Null, errors) == 0, errors.ToString());
        Assert.True(TrainCommand.Run(Logged("four", 4), TextWriter.Null, errors) == 0, errors.ToString());
        long two = HeaderBytes(Path.Combine(_folder, "two", RunFolder.LastFile)), four = HeaderBytes(Path.Combine(_folder, "four", RunFolder.LastFile));
        log.WriteLine($"header after 16 steps {two} bytes, after 32 steps {four} bytes");
        Assert.Equal(17, File.ReadAllLines(Path.Combine(_folder, "two", RunLog.StepsFile)).Length);
        Assert.Equal(33, File.ReadAllLines(Path.Combine(_folder, "four", RunLog.StepsFile)).Length);
        Assert.True(four - two < 16 * 40, $"the header grew by {four - two} bytes over 16 more steps");
        var info = RunFolder.ReadInfo(Path.Combine(_folder, "four", RunFolder.LastFile));
        Assert.Equal((32L, 31L), (info.GlobalStep, info.StepLogWrittenThrough)); // the last commit's record alone is in the header
        Assert.Equal([32L], info.StepLog.Select(s => s.Step));
    }

    [Fact]
    public void AResumePutsTheStepLogBackToItsCheckpoint()
    {
        var errors = new StringWriter();
        Assert.True(TrainCommand.Run(Logged("whole", 2), TextWriter.Null, errors) == 0, errors.ToString());
        var cut = Logged("cut", 2);
        var stop = InterruptSignal.Manual();
        Assert.Equal(InterruptSignal.ExitCode, TrainCommand.Run(cut, new TriggerWriter("epoch 1/2  5/8", stop.Request), errors, stop));
        // What a crash leaves: records beyond the checkpoint (an append, then the kill before the
        // next commit) and a line cut short.
        string steps = Path.Combine(cut.Output!, RunLog.StepsFile);
        File.AppendAllText(steps, "900,9,0.5,0.001\n901,9,0.5");
        Assert.Equal(0, TrainCommand.Run(cut with { Resume = true }, TextWriter.Null, errors));
        Assert.Equal("", errors.ToString());
        RunFiles.AssertSameLogs(Path.Combine(_folder, "whole"), cut.Output!);
        RunFiles.AssertSameTensors(Path.Combine(_folder, "whole", RunFolder.LastFile), Path.Combine(cut.Output!, RunFolder.LastFile));
    }

    [Fact]
    public void AFormat3CheckpointResumesWithItsWholeStepLog()
    {
        // Format 3 kept the whole step log in the header and none in steps.csv's count.
        var errors = new StringWriter();
        Assert.True(TrainCommand.Run(Logged("whole3", 2), TextWriter.Null, errors) == 0, errors.ToString());
        var old = Logged("old", 2);
        var stop = InterruptSignal.Manual();
        Assert.Equal(InterruptSignal.ExitCode, TrainCommand.Run(old, new TriggerWriter("epoch 2/2  3/8", stop.Request), errors, stop));
        var lines = File.ReadAllLines(Path.Combine(old.Output!, RunLog.StepsFile));
        string records = string.Join(",", lines.Skip(1).Select(l => l.Split(',')).Select(p =>
            $"{{\"Step\":{p[0]},\"Epoch\":{p[1]},\"Loss\":{p[2]},\"LearningRate\":{p[3]}}}"));
        foreach (string file in new[] { RunFolder.LastFile, RunFolder.BestFile })
        {
            EditInfo(Path.Combine(old.Output!, file), info => System.Text.RegularExpressions.Regex.Replace(
                System.Text.RegularExpressions.Regex.Replace(info.Replace("\"Format\":4", "\"Format\":3", StringComparison.Ordinal), "\"StepLog\":\\[[^\\]]*\\]", $"\"StepLog\":[{(file == RunFolder.LastFile ? records : "")}]"),
                ",\"StepLogWrittenThrough\":\\d+", ""));
        }
        File.Delete(Path.Combine(old.Output!, RunLog.StepsFile)); // format 3 rewrote it from the header
        Assert.Equal(0, TrainCommand.Run(old with { Resume = true }, TextWriter.Null, errors));
        Assert.Equal("", errors.ToString());
        RunFiles.AssertSameLogs(Path.Combine(_folder, "whole3"), old.Output!);
    }

    [Fact]
    public void AReadOnlyFolderIsNotReportedAsInUse()
    {
        string folder = Path.Combine(_folder, "ro");
        Directory.CreateDirectory(Path.Combine(folder, "run"));
        File.WriteAllBytes(Path.Combine(folder, "run", ".lock"), []);
        using var readOnly = ReadOnly(folder);
        var errors = new StringWriter();
        var settings = Logged("ro/run", 1);
        Assert.Equal(1, TrainCommand.Run(settings, TextWriter.Null, errors));
        log.WriteLine(errors.ToString());
        Assert.Contains($"Cannot write checkpoints into '{settings.Output}'", errors.ToString());
        Assert.DoesNotContain("in use", errors.ToString());
    }

    [Fact]
    public void EvalOfARunTrainedWithDataReadsThatFolder()
    {
        // 48 test images in the folder; nothing in data/mnist under the working directory.
        string data = Directory.CreateDirectory(Path.Combine(_folder, "digits")).FullName;
        File.WriteAllBytes(Path.Combine(data, "train-images-idx3-ubyte"), IdxImages(64, 28));
        File.WriteAllBytes(Path.Combine(data, "train-labels-idx1-ubyte"), IdxLabels(64));
        File.WriteAllBytes(Path.Combine(data, "t10k-images-idx3-ubyte"), IdxImages(48, 28));
        File.WriteAllBytes(Path.Combine(data, "t10k-labels-idx1-ubyte"), IdxLabels(48));
        var errors = new StringWriter();
        var settings = new TrainSettings
        {
            Model = "resnet", Dataset = "mnist", DataDirectory = data, Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, "mnist-run"), Epochs = 1, Width = 4, BatchSize = 16, Plain = true,
        };
        Assert.True(TrainCommand.Run(settings, TextWriter.Null, errors) == 0, errors.ToString());
        var output = new StringWriter();
        Assert.True(EvalCommand.Run(settings.Output!, null, null, null, fixture.Spec.ToString(), output, errors) == 0, errors.ToString());
        Assert.Contains("on mnist, 48 test images", output.ToString());
    }

    [Fact]
    public void EngineDeviceOutranksTheDeviceAResumedRunRecorded()
    {
        // The run recorded --device cuda:7, which this machine lacks; ENGINE_DEVICE, the user's standing
        // choice, is taken instead, and the first line says where the device came from.
        var errors = new StringWriter();
        var settings = Logged("recorded", 1) with { SaveEvery = null, LogEvery = null };
        Assert.True(TrainCommand.Run(settings, TextWriter.Null, errors) == 0, errors.ToString());
        foreach (string file in new[] { RunFolder.LastFile, RunFolder.BestFile })
            EditInfo(Path.Combine(settings.Output!, file), info => System.Text.RegularExpressions.Regex.Replace(info, "\"Device\":(null|\"[^\"]*\")", "\"Device\":\"cuda:7\""));
        var (code, output, stderr) = CliProcess.Run(_folder, Patience, new Dictionary<string, string> { ["ENGINE_DEVICE"] = fixture.Spec.ToString() },
            "train", "resnet", "--resume", "--epochs", "2", "--plain", "-o", settings.Output!);
        Assert.True(code == 0, stderr);
        Assert.Contains($"parameters, on {fixture.Device.Info.Spec} ({fixture.Device.Info.Name}; ENGINE_DEVICE)", output);
    }

    [Theory]
    [InlineData(CliProcess.SigTerm, "SIGTERM", 143)]
    [InlineData(CliProcess.SigInt, "SIGINT", 130)]
    public void ASignalOnPredictLeavesNoTemporaryAndOneLine(int signal, string name, int exit)
    {
        string folder = Directory.CreateDirectory(Path.Combine(_folder, name)).FullName;
        var (weights, input) = PredictFiles(folder, images: 20_000);
        using var process = CliProcess.Start(folder, Predict(weights, input, "y.npy"));
        Assert.True(WaitFor(() => process.HasExited || Directory.EnumerateFiles(folder).Any(AtomicFile.IsTemporary)), "no temporary appeared: " + process.Errors);
        process.Signal(signal);
        var (code, _, errors) = process.WaitForExit(Patience);
        log.WriteLine($"exit {code}: {errors}");
        Assert.Equal(exit, code);
        string[] lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Equal($"error: {name}: stopped; the unfinished output was removed (files written before are complete).", lines[0]);
        Assert.DoesNotContain(Directory.EnumerateFiles(folder), AtomicFile.IsTemporary);
        Assert.False(File.Exists(Path.Combine(folder, "y.npy")));
    }

    [Fact]
    public void TheTemporaryOfAKilledPredictIsRemovedByTheNextSuccess()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_folder, "killed")).FullName;
        var (weights, input) = PredictFiles(folder, images: 20_000);
        using (var process = CliProcess.Start(folder, Predict(weights, input, "y.npy")))
        {
            Assert.True(WaitFor(() => process.HasExited || Directory.EnumerateFiles(folder).Any(AtomicFile.IsTemporary)), "no temporary appeared: " + process.Errors);
            process.Signal(CliProcess.SigKill);
            process.WaitForExit(Patience);
        }
        Assert.Single(Directory.EnumerateFiles(folder), AtomicFile.IsTemporary); // what a kill leaves
        var (_, small) = PredictFiles(folder, images: 4, name: "small.npy");
        var errors = new StringWriter();
        Assert.True(EngineCli.Run(Predict(weights, small, Path.Combine(folder, "y.npy")), TextWriter.Null, errors) == 0, errors.ToString());
        Assert.DoesNotContain(Directory.EnumerateFiles(folder), AtomicFile.IsTemporary);
        Assert.Equal([4, 10], NpyFile.Read(Path.Combine(folder, "y.npy")).Shape);
    }

    private (string Weights, string Input) PredictFiles(string folder, int images, string name = "x.npy")
    {
        string weights = Path.Combine(_folder, "weights.safetensors");
        lock (_folder)
        {
            if (!File.Exists(weights))
            {
                var model = Engine.Models.ModelFactory.Create(new Engine.Models.ModelOptions("resnet18", 10, 1, SmallStem: true, BaseWidth: 4));
                model.Initialize(fixture.Device, 3);
                Engine.Checkpoints.StateDict.Save(model, weights);
                model.Release();
            }
        }
        string input = Path.Combine(folder, name);
        NpyFile.Write(input, new float[images * 28 * 28], images, 1, 28, 28);
        return (weights, input);
    }

    private string[] Predict(string weights, string input, string output) =>
        ["predict", "--model", "resnet18", "--classes", "10", "--in-channels", "1", "--small-stem", "--base-width", "4", "--batch-size", "16",
         "--weights", weights, "--input", input, "--output", output, "--device", fixture.Spec.ToString()];

    private static bool WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            if (condition())
                return true;
            Thread.Sleep(5);
        }
        return false;
    }

    private static void EditInfo(string checkpoint, Func<string, string> edit)
    {
        Dictionary<string, string> metadata;
        List<Engine.Checkpoints.SafeTensor> tensors;
        using (var reader = Engine.Checkpoints.SafeTensorsReader.Open(checkpoint))
        {
            metadata = reader.Metadata.ToDictionary();
            tensors = reader.Tensors.Select(t => reader.Read(t.Name)).ToList();
        }
        metadata["engine.run"] = edit(metadata["engine.run"]);
        Engine.Checkpoints.SafeTensorsFile.Write(checkpoint, tensors, metadata);
    }

    /// <summary>
    /// Makes <paramref name="folder"/> read-only until disposed: for root, whom permissions do not
    /// stop, a read-only tmpfs mounted over a copy of it (EROFS); for anyone else, its mode.
    /// </summary>
    private static IDisposable ReadOnly(string folder)
    {
        if (Environment.UserName != "root" && !OperatingSystem.IsWindows())
        {
            foreach (string d in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Prepend(folder))
                File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return new Undo(() =>
            {
                if (OperatingSystem.IsWindows())
                    return;
                foreach (string d in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Prepend(folder))
                    File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            });
        }
        string copy = folder + ".contents";
        Directory.Move(folder, copy);
        Directory.CreateDirectory(folder);
        Run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", folder);
        foreach (string d in Directory.EnumerateDirectories(copy, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(d.Replace(copy, folder, StringComparison.Ordinal));
        foreach (string f in Directory.EnumerateFiles(copy, "*", SearchOption.AllDirectories))
            File.Copy(f, f.Replace(copy, folder, StringComparison.Ordinal));
        Run("mount", "-o", "remount,ro", folder);
        return new Undo(() => Run("umount", folder));
    }

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(" ", args)}: {errors}");
    }

    private sealed class Undo(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
