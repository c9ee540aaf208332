using Engine.Cli.Commands;
using Engine.Cli.Training;
using Engine.Training;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Cli;

/// <summary>
/// The same seed gives the same run: in two separate processes (no per-process hash reaches a
/// seed), and across an interruption (a run stopped in the middle of an epoch and at an epoch's end,
/// then resumed, ends with the bits of one that ran straight through) for each model.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class ReproducibilityTests(DeviceFixture fixture) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-repro-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TwoProcessesWithOneSeedPrintTheSameRunAndWriteTheSameBits()
    {
        string[] Args(string run, string seed) =>
            ["train", "resnet", "--epochs", "1", "--limit", "256", "--batch-size", "32", "--base-width", "4", "--seed", seed, "--plain",
             "--device", fixture.Spec.ToString(), "-o", Path.Combine(_folder, run)];
        var first = CliProcess.Run(_folder, Patience, Args("a", "5"));
        var second = CliProcess.Run(_folder, Patience, Args("b", "5"));
        var other = CliProcess.Run(_folder, Patience, Args("c", "6"));
        Assert.True(first.ExitCode == 0, first.Errors);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(0, other.ExitCode);

        string a = RunFiles.WithoutTimings(first.Output, Path.Combine(_folder, "a"));
        Assert.Equal(a, RunFiles.WithoutTimings(second.Output, Path.Combine(_folder, "b")));
        Assert.NotEqual(a, RunFiles.WithoutTimings(other.Output, Path.Combine(_folder, "c"))); // the seed matters
        Assert.Contains("epoch 1/1  loss ", a);
        RunFiles.AssertSameTensors(Path.Combine(_folder, "a", RunFolder.LastFile), Path.Combine(_folder, "b", RunFolder.LastFile));
    }

    [Theory]
    [InlineData("resnet")]
    [InlineData("unet")]
    [InlineData("vae")]
    public void AResumedRunEndsWithTheBitsOfAnUninterruptedOne(string model)
    {
        var whole = Settings(model, "whole") with { LogEvery = 1 };
        var wholeLog = new StringWriter();
        var errors = new StringWriter();
        Assert.True(TrainCommand.Run(whole, wholeLog, errors) == 0, errors.ToString());
        int steps = RunFolder.ReadInfo(Path.Combine(whole.Output!, RunFolder.LastFile)).StepsPerEpoch;

        // Stopped after step 2 of epoch 1, then at the end of epoch 1, then resumed to the end.
        var split = Settings(model, "split") with { LogEvery = 1 };
        var stop = InterruptSignal.Manual();
        Assert.Equal(InterruptSignal.ExitCode, TrainCommand.Run(split, new TriggerWriter($"epoch 1/2  2/{steps}", stop.Request), errors, stop));
        var info = RunFolder.ReadInfo(Path.Combine(split.Output!, RunFolder.LastFile));
        Assert.Equal((0, 2), (info.Epoch, info.Step));
        Assert.False(File.Exists(Path.Combine(split.Output!, RunFolder.BestFile)));

        stop = InterruptSignal.Manual();
        var secondLog = new TriggerWriter("epoch 1/2  loss", stop.Request);
        Assert.Equal(InterruptSignal.ExitCode, TrainCommand.Run(split with { Resume = true }, secondLog, errors, stop));
        Assert.Contains("resuming in epoch 1 after step 2", secondLog.ToString());
        info = RunFolder.ReadInfo(Path.Combine(split.Output!, RunFolder.LastFile));
        Assert.Equal((1, 0), (info.Epoch, info.Step));

        var lastLog = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(split with { Resume = true }, lastLog, errors));
        Assert.Contains("resuming after epoch 1", lastLog.ToString());
        Assert.Equal("", errors.ToString());

        RunFiles.AssertSameTensors(Path.Combine(whole.Output!, RunFolder.LastFile), Path.Combine(split.Output!, RunFolder.LastFile));
        RunFiles.AssertSameTensors(Path.Combine(whole.Output!, RunFolder.BestFile), Path.Combine(split.Output!, RunFolder.BestFile));
        RunFiles.AssertSameLogs(whole.Output!, split.Output!); // every step's loss, logged across two stops
        Assert.Equal(2 * steps + 1, File.ReadAllLines(Path.Combine(split.Output!, RunLog.StepsFile)).Length);
        var a = RunFolder.ReadInfo(Path.Combine(whole.Output!, RunFolder.LastFile));
        var b = RunFolder.ReadInfo(Path.Combine(split.Output!, RunFolder.LastFile));
        Assert.Equal((a.Epoch, a.Step, a.NoiseOffset, a.Value, a.Best, a.BestEpoch), (b.Epoch, b.Step, b.NoiseOffset, b.Value, b.Best, b.BestEpoch));
        if (model == "vae")
            Assert.True(a.NoiseOffset > 0, "the VAE draws noise");

        // The resumed epoch prints the mean loss the uninterrupted one printed.
        string EpochLine(string log, int epoch) => log.Split('\n').Single(l => l.StartsWith($"epoch {epoch}/2  loss", StringComparison.Ordinal));
        Assert.Equal(RunFiles.WithoutTimings(EpochLine(wholeLog.ToString(), 1)), RunFiles.WithoutTimings(EpochLine(secondLog.ToString(), 1)));
        Assert.Equal(RunFiles.WithoutTimings(EpochLine(wholeLog.ToString(), 2)), RunFiles.WithoutTimings(EpochLine(lastLog.ToString(), 2)));
    }

    [Fact]
    public void ResumingWithAnotherLearningRateSaysSoAndRecordsIt()
    {
        var settings = Settings("resnet", "changed") with { Epochs = 1 };
        var errors = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(settings, TextWriter.Null, errors));
        var log = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(settings with { Resume = true, Epochs = 2, LearningRate = 1e-3f }, log, errors));
        Assert.Contains("changed on resume, after epoch 1: --epochs 1 -> 2", log.ToString());
        Assert.Contains("changed on resume, after epoch 1: --lr 0.002 -> 0.001", log.ToString());
        var info = RunFolder.ReadInfo(Path.Combine(settings.Output!, RunFolder.LastFile));
        Assert.Equal(["after epoch 1: --epochs 1 -> 2", "after epoch 1: --lr 0.002 -> 0.001"], info.History);
        Assert.Equal(1e-3f, info.Options.LearningRate);
        Assert.Equal("", errors.ToString());
    }

    private TrainSettings Settings(string model, string run) => new()
    {
        Model = model, Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, $"{model}-{run}"), Epochs = 2, Plain = true, Seed = 11,
        Width = model == "vae" ? null : 4,
        Limit = model == "unet" ? 4 : 96,
        BatchSize = model == "unet" ? 1 : 16,
    };
}
