using System.Diagnostics;
using Engine.Checkpoints;
using Engine.Cli.Commands;
using Engine.Cli.Training;
using Engine.Training;
using Engine.IO;
using Engine.Models;
using Engine.Ops.Random;
using Engine.Optim;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Cli;

/// <summary>
/// Training as a separate process, stopped the ways a real run is stopped: Ctrl-C or SIGTERM (a
/// checkpoint is committed and the exit code is 130) and SIGKILL at random instants, including in
/// the middle of checkpoint writes (the committed checkpoint is never torn, nor a mix of two).
/// Every run, resumed after whatever happened, ends with the bits of an uninterrupted one.
/// </summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("what a kill or a signal leaves is decided by the checkpoint's commit protocol, host file code the same on every device")]
public sealed class CrashTests(DeviceFixture fixture, ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-crash-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string[] Train(string run, params string[] more) =>
        ["train", "resnet", "--limit", "256", "--batch-size", "16", "--base-width", "4", "--epochs", "4", "--seed", "3", "--plain",
         "--device", fixture.Spec.ToString(), "-o", Path.Combine(_folder, run), .. more];

    [Theory]
    [InlineData(CliProcess.SigInt, "SIGINT")]
    [InlineData(CliProcess.SigTerm, "SIGTERM")]
    public void ASignalCommitsACheckpointExits130AndTheRunResumesToTheSameBits(int signal, string name)
    {
        var whole = CliProcess.Run(_folder, Patience, Train("whole"));
        Assert.True(whole.ExitCode == 0, whole.Errors);

        using (var process = CliProcess.Start(_folder, Train("stopped")))
        {
            Assert.True(process.WaitForOutput("epoch 1/4  3/16", Patience), process.Output + process.Errors);
            process.Signal(signal);
            var (code, output, errors) = process.WaitForExit(Patience);
            Assert.True(code == 130, $"exit {code}\n{output}\n{errors}");
            // Steps take milliseconds, so the signal may land later in the run than the line it followed.
            Assert.Matches($@"interrupted (in epoch \d after step \d+ of 16|after epoch \d): checkpoint .*{RunFolder.LastFile} committed; continue with: train resnet -o .*stopped --resume", output);
            Assert.Contains($"{name}: finishing this step and saving a checkpoint", errors);
            Assert.False(File.Exists(Path.Combine(_folder, "stopped", ".lock")), "the stopped run left its lock file");
        }
        var resumed = CliProcess.Run(_folder, Patience, Train("stopped", "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Errors);
        Assert.False(File.Exists(Path.Combine(_folder, "whole", ".lock")), "the finished run left its lock file");
        Assert.Matches(@"resuming (in epoch \d after step \d+|after epoch \d)", resumed.Output);
        RunFiles.AssertSameTensors(Path.Combine(_folder, "whole", RunFolder.LastFile), Path.Combine(_folder, "stopped", RunFolder.LastFile));
        Assert.Equal(FinalLine(whole.Output, "whole"), FinalLine(resumed.Output, "stopped"));
    }

    [Fact]
    public void KillsAtRandomInstantsNeverLeaveATornOrMixedCheckpoint()
    {
        // Aimed kills go on until five have landed inside a write: a write of this small model takes
        // milliseconds, so a kill sent the moment its temporary appears can arrive after the rename.
        const int RandomKills = 20, KillsInsideWrites = 5, MostAimedKills = 25;
        string[] Args(params string[] more) =>
            ["train", "resnet", "--limit", "512", "--batch-size", "8", "--base-width", "4", "--epochs", "6", "--seed", "4", "--plain",
             "--device", fixture.Spec.ToString(), "--save-every", "1", "-o", Path.Combine(_folder, "killed"), .. more];
        string folder = Path.Combine(_folder, "killed");
        var random = new PhiloxRandom(RandomStreams.Derive(2026, RandomStream.Shuffle));
        int kills = 0, insideWrites = 0, aimedInside = 0, commitsSeen = 0, finishedBeforeKill = 0;
        var temporariesSeen = new HashSet<string>();
        long lastStep = -1;
        TimeSpan startup = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        while (kills < RandomKills || aimedInside < KillsInsideWrites && kills < RandomKills + MostAimedKills)
        {
            bool resume = File.Exists(Path.Combine(folder, RunFolder.LastFile));
            using var process = CliProcess.Start(_folder, resume ? Args("--resume") : Args());
            if (kills < RandomKills)
            {
                // A random instant: anywhere from start-up to well into the training steps and commits.
                if (startup == TimeSpan.Zero)
                {
                    var started = Stopwatch.StartNew();
                    Assert.True(process.WaitForOutput(" loss ", Patience), process.Output + process.Errors);
                    startup = started.Elapsed;
                }
                Thread.Sleep(TimeSpan.FromSeconds(random.NextDouble() * (startup.TotalSeconds + 1.5)));
            }
            else
            {
                // Inside a checkpoint write: as soon as a temporary appears beside the checkpoints.
                Assert.True(WaitFor(() => process.HasExited || Directory.Exists(folder) && Directory.EnumerateFiles(folder).Any(f => IsCheckpointTemporary(f) && !temporariesSeen.Contains(f)), Patience),
                    "no checkpoint write was seen: " + process.Output + process.Errors);
            }
            if (process.HasExited)
            {
                // Training is fast enough that a resumed run can finish before its random instant comes:
                // it must have finished cleanly; the next kills go to a fresh run in the same folder.
                var ended = process.WaitForExit(Patience);
                Assert.True(ended.ExitCode == 0, $"the run ended before kill {kills + 1} with exit {ended.ExitCode}: {ended.Output}{ended.Errors}");
                Directory.Delete(folder, recursive: true);
                temporariesSeen.Clear();
                lastStep = -1;
                finishedBeforeKill++;
                continue;
            }
            process.Signal(CliProcess.SigKill);
            process.WaitForExit(Patience);
            kills++;

            // A checkpoint's temporary that was not there after the previous kill: this kill landed inside its write.
            var temporaries = Directory.Exists(folder) ? Directory.EnumerateFiles(folder).Where(IsCheckpointTemporary).ToList() : [];
            if (temporaries.Any(t => !temporariesSeen.Contains(t)))
            {
                insideWrites++;
                aimedInside += kills > RandomKills ? 1 : 0;
            }
            temporariesSeen.UnionWith(temporaries);
            if (File.Exists(Path.Combine(folder, RunFolder.LastFile)))
            {
                long step = CheckCommitted(Path.Combine(folder, RunFolder.LastFile));
                Assert.True(step >= lastStep, $"the committed checkpoint went back from step {lastStep} to {step}");
                commitsSeen += step > lastStep ? 1 : 0;
                lastStep = step;
            }
            if (File.Exists(Path.Combine(folder, RunFolder.BestFile)))
                CheckCommitted(Path.Combine(folder, RunFolder.BestFile));
        }

        var finished = CliProcess.Run(_folder, Patience, Args("--resume"));
        Assert.True(finished.ExitCode == 0, finished.Errors);
        Assert.DoesNotContain(Directory.EnumerateFiles(folder), AtomicFile.IsTemporary); // stale temporaries were removed

        var errors = new StringWriter();
        var reference = new TrainSettings
        {
            Model = "resnet", Limit = 512, BatchSize = 8, Width = 4, Epochs = 6, Seed = 4, Plain = true,
            Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, "reference"),
        };
        Assert.True(TrainCommand.Run(reference, TextWriter.Null, errors) == 0, errors.ToString());
        RunFiles.AssertSameTensors(Path.Combine(_folder, "reference", RunFolder.LastFile), Path.Combine(folder, RunFolder.LastFile));
        RunFiles.AssertSameTensors(Path.Combine(_folder, "reference", RunFolder.BestFile), Path.Combine(folder, RunFolder.BestFile));
        RunFiles.AssertSameLogs(Path.Combine(_folder, "reference"), folder); // the log never ran ahead of a checkpoint, nor lost a line
        log.WriteLine($"{kills} SIGKILLs ({RandomKills} at random instants, {kills - RandomKills} aimed at writes, {aimedInside} of them inside one); {insideWrites} left a temporary (killed inside a write); " +
            $"{commitsSeen} kills found a newer commit; {finishedBeforeKill} runs finished before their kill and were started afresh; torn or mixed checkpoints found: 0; start-up {startup.TotalSeconds:F1} s; {clock.Elapsed.TotalSeconds:F0} s in all.");
        Assert.True(aimedInside >= KillsInsideWrites, $"only {aimedInside} of {kills - RandomKills} aimed kills landed inside a write");
    }

    /// <summary>
    /// Loads a committed checkpoint completely into a fresh model and optimiser (a torn file fails
    /// to parse; a mixed one has an optimiser whose step count differs from the run information).
    /// </summary>
    private long CheckCommitted(string checkpoint)
    {
        var info = RunFolder.ReadInfo(checkpoint);
        var model = ModelFactory.Create(info.Model!);
        model.Initialize(fixture.Device);
        try
        {
            using var optimizer = new AdamW(model.NamedParameters().Select(p => p.Parameter), 1e-3f);
            TrainingCheckpoint.Load(checkpoint, model, optimizer);
            Assert.Equal(info.GlobalStep, optimizer.StepCount);
            return info.GlobalStep;
        }
        finally
        {
            model.Release();
        }
    }

    private static bool IsCheckpointTemporary(string file) =>
        AtomicFile.IsTemporary(file) && Path.GetFileName(file) is var name && (name.StartsWith($".{RunFolder.LastFile}.", StringComparison.Ordinal) || name.StartsWith($".{RunFolder.BestFile}.", StringComparison.Ordinal));

    private static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            try
            {
                if (condition())
                    return true;
            }
            catch (IOException)
            {
                // a file vanished while the folder was listed
            }
            Thread.SpinWait(1000);
        }
        return false;
    }

    private string FinalLine(string output, string run) =>
        RunFiles.WithoutTimings(output.Split('\n').Single(l => l.StartsWith("fashion-mnist-small test", StringComparison.Ordinal)), Path.Combine(_folder, run));
}
