using Engine.Cli;
using Engine.Cli.Commands;
using Engine.Cli.Training;
using Engine.Training;
using Engine.IO;
using Engine.Tests.Infrastructure;
using static Engine.Tests.Infrastructure.SampleFiles;

namespace Engine.Tests.Cli;

/// <summary>What keeps a run and its results safe: full disks, divergence, overwrites, streaming prediction, and data found where a user puts it.</summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("full disks, overwrites, folder ownership and data discovery are host file code")]
public sealed class TrainingSafetyTests(DeviceFixture fixture) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-safety-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private TrainSettings Tiny(string run) => new()
    {
        Model = "resnet", Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, run), Epochs = 1, Width = 4, Limit = 64, BatchSize = 16, Plain = true,
    };

    [Fact]
    public void ADiskThatFillsDuringACheckpointGivesOneLineAndLeavesNoTemporary()
    {
        // The file-size limit makes every write past 4 MiB fail (EFBIG) as a full disk would
        // (ENOSPC): the checkpoint of this model (8.4 MB) is larger, what else the process writes
        // (PoCL's kernel cache, about 1 MB a file) is not. SIGXFSZ is ignored, so write returns the error.
        string run = Path.Combine(_folder, "full");
        string command = $"trap '' XFSZ; ulimit -f 4096; exec {CliProcess.ShellCommand} train resnet --limit 64 --batch-size 16 --base-width 16 " +
            $"--epochs 1 --plain --device {fixture.Spec} -o \"{run}\"";
        // The runtime's write-xor-execute mapping needs a file larger than the limit: off for this process.
        using var process = CliProcess.StartWith(_folder, "bash", ["-c", command], new() { ["DOTNET_EnableWriteXorExecute"] = "0" });
        var (code, output, errors) = process.WaitForExit(Patience);
        Assert.True(code == 1, $"exit {code}\n{output}\n{errors}");
        string[] lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: the disk is full: ", lines[0]);
        Assert.Matches("cannot write '.*(best|last).safetensors'", lines[0]);
        Assert.Contains("(what was committed before is intact)", lines[0]);
        Assert.Contains("epoch 1/1  loss", output); // it failed at the commit, after training
        Assert.Empty(Directory.EnumerateFiles(run)); // no temporary, no half-written checkpoint, no lock
    }

    [Fact]
    public void ADivergingRunStopsAndNamesTheLikelyCause()
    {
        var errors = new StringWriter();
        var settings = Tiny("diverging") with { Model = "vae", Width = null, LearningRate = 1e4f };
        Assert.Equal(1, TrainCommand.Run(settings, TextWriter.Null, errors));
        string line = errors.ToString().Trim();
        Assert.DoesNotContain('\n', line);
        Assert.Matches(@"^error: epoch 1 step \d+: ", line);
        Assert.Matches("the loss diverged to (NaN|-?∞|-?Infinity)|the gradient of .* is not finite|the weights .* are not finite", line);
        Assert.EndsWith("lower the learning rate (now 10000).", line);
        Assert.False(File.Exists(Path.Combine(settings.Output!, RunFolder.LastFile))); // nothing non-finite was committed
        Assert.False(File.Exists(Path.Combine(settings.Output!, ".lock"))); // the failed run let go of its folder
    }

    [Fact]
    public void ARunIsReplacedOnlyWhenAsked()
    {
        var settings = Tiny("replace");
        var errors = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(settings with { Epochs = 2 }, TextWriter.Null, errors));
        string last = Path.Combine(settings.Output!, RunFolder.LastFile);
        byte[] before = File.ReadAllBytes(last);
        Assert.Equal(1, TrainCommand.Run(settings, TextWriter.Null, errors));
        Assert.Contains("holds a run (classification, epoch 2 of 2", errors.ToString());
        Assert.Equal(before, File.ReadAllBytes(last));

        var log = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(settings with { Overwrite = true, Seed = 9 }, log, errors));
        var info = RunFolder.ReadInfo(last);
        Assert.Equal((1, 9UL, 1), (info.Epoch, info.Options.Seed, info.BestEpoch));
        Assert.Equal(1, RunFolder.ReadInfo(Path.Combine(settings.Output!, RunFolder.BestFile)).Epoch);
    }

    [Fact]
    public void OneTrainingProcessAtATimeOwnsARunFolder()
    {
        var settings = Tiny("locked");
        Directory.CreateDirectory(settings.Output!);
        var errors = new StringWriter();
        using (new FileStream(Path.Combine(settings.Output!, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            Assert.Equal(1, TrainCommand.Run(settings, TextWriter.Null, errors));
            Assert.Contains("is in use by another training process", errors.ToString());
        }
        Assert.Equal(0, TrainCommand.Run(settings, TextWriter.Null, new StringWriter())); // free once the other lets go
    }

    [Fact]
    public void ACrashBetweenTheBestAndTheLastCommitResumesFromTheBest()
    {
        // The end of epoch 1 commits best.safetensors, then last.safetensors; a kill between the two
        // leaves only best (on a first epoch) or a best newer than last. Resume takes the newer.
        var whole = Tiny("whole") with { Epochs = 2 };
        var errors = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(whole, TextWriter.Null, errors));
        var split = Tiny("split") with { Epochs = 2 };
        var stop = InterruptSignal.Manual();
        Assert.Equal(InterruptSignal.ExitCode, TrainCommand.Run(split, new TriggerWriter("epoch 1/2  loss", stop.Request), errors, stop));
        File.Delete(Path.Combine(split.Output!, RunFolder.LastFile));
        var log = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(split with { Resume = true }, log, errors));
        Assert.Contains("resuming after epoch 1", log.ToString());
        Assert.Equal("", errors.ToString());
        RunFiles.AssertSameTensors(Path.Combine(whole.Output!, RunFolder.LastFile), Path.Combine(split.Output!, RunFolder.LastFile));

        // Resuming with fewer epochs than the run has begun is refused, in one line.
        Assert.Equal(1, TrainCommand.Run(split with { Resume = true, Epochs = 1 }, TextWriter.Null, errors));
        Assert.Contains("--resume: this run is after epoch 2; --epochs 1 is fewer than the epochs it has begun (2).", errors.ToString());
    }

    [Fact]
    public void PredictStreamsBatchesAndWritesWhatOneBatchWouldGive()
    {
        var errors = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(Tiny("model"), TextWriter.Null, errors));
        string weights = Path.Combine(_folder, "model", RunFolder.LastFile);
        string input = Path.Combine(_folder, "x.npy");
        var images = Engine.Tests.Infrastructure.Reference.Random(300 * 28 * 28, 4, 0f, 1f);
        NpyFile.Write(input, images, 300, 1, 28, 28);
        string[] Predict(string output, int batch) =>
            ["predict", "--model", "resnet18", "--classes", "10", "--in-channels", "1", "--small-stem", "--base-width", "4",
             "--weights", weights, "--input", input, "--output", Path.Combine(_folder, output), "--batch-size", batch.ToString(), "--device", fixture.Spec.ToString()];
        var log = new StringWriter();
        Assert.Equal(0, EngineCli.Run(Predict("whole.npy", 300), log, errors));
        Assert.Equal(0, EngineCli.Run(Predict("parts.npy", 64), log, errors));
        Assert.Contains("wrote (300, 10) to", log.ToString());
        Assert.Contains("batches of 64", log.ToString());
        var whole = NpyFile.Read(Path.Combine(_folder, "whole.npy"));
        var parts = NpyFile.Read(Path.Combine(_folder, "parts.npy"));
        Assert.Equal([300, 10], parts.Shape);
        // Evaluation mode: an image's logits do not depend on its batch (whose size may choose other tiles, of the same sums).
        DeviceRounding.AssertExactlyAcrossKernels(fixture.Device, whole.Data, parts.Data, "logits of batches of 64 against one of 300");
        Assert.Equal("", errors.ToString());
    }

    [Fact]
    public void ABrainMriFolderOfPlainNiftiIsFoundWithoutNamingTheDataset()
    {
        // 44 slices of 16x16 (the held-out slab is z in [30, 42)), uncompressed .nii as many tools write them.
        const int side = 16, slices = 44;
        var image = Enumerable.Range(0, side * side * slices).Select(i => (byte)(i * 13 % 251)).ToArray();
        var mask = image.Select(v => (byte)(v > 120 ? 1 : 0)).ToArray();
        string data = Directory.CreateDirectory(Path.Combine(_folder, "mri")).FullName;
        File.WriteAllBytes(Path.Combine(data, "KmeansTest_T1UCharRaw.nii"), Nifti(side, side, slices, image));
        File.WriteAllBytes(Path.Combine(data, "KmeansTest_T1RawSkullStrip.nii"), Nifti(side, side, slices, mask));
        var log = new StringWriter();
        var errors = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(new TrainSettings
        {
            Model = "unet", DataDirectory = data, Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, "unet"), Epochs = 1, Width = 4, BatchSize = 4, Plain = true,
        }, log, errors));
        Assert.Equal("", errors.ToString());
        Assert.Contains("data brain-mri: 32 training / 12 test images of 1x16x16", log.ToString());
    }
}
