using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Distributed;

/// <summary>
/// <c>launch -n 2 -- train ...</c>, the one command that survives a lost rank: a rank killed
/// mid-run is followed by a restart of both ranks from the last committed checkpoint, and the run
/// ends with the weights, optimiser state and logs of a two-rank run that was never interrupted,
/// bit for bit; on one host and across two. A launch that fails by itself (bad settings) is not
/// started again.
/// </summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("what it proves is the launcher's: a lost rank restarts the launch from the last commit; that a distributed run resumes to the same bits on the kernel path is DataParallelTrainingTests' case, run on every stage")]
public sealed class ElasticLaunchTests(DeviceFixture fixture) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-launch-").FullName;

    public void Dispose() => MpiLaunch.DeleteFolder(_folder);

    // 3 epochs of 8 steps (2 ranks x 16 of 256 images), a commit every 4 steps and at each epoch's end.
    private string[] Train(string run, int batch, params string[] extra) =>
        ["train", "resnet", "--epochs", "3", "--limit", "256", "--batch-size", batch.ToString(System.Globalization.CultureInfo.InvariantCulture), "--base-width", "4", "--optimizer", "sgd", "--lr", "0.01",
         "--seed", "5", "--plain", "--save-every", "4", "--log-every", "1", "--device", fixture.Spec.ToString(), "-o", Path.Combine(_folder, run), .. extra];

    private CliProcess Launch(TwoHosts? hosts, string token, string[] arguments)
    {
        string[] tool = CliProcess.Tool.EndsWith(".dll", StringComparison.Ordinal) ? [CliProcess.Tool] : [];
        string program = tool.Length > 0 ? CliProcess.Dotnet : CliProcess.Tool;
        var environment = new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = "1", [MpiLaunch.TokenVariable] = token, ["ENGINE_PEER_TIMEOUT"] = "20" };
        string[] all = [.. tool, "launch", .. arguments];
        return hosts is null ? CliProcess.StartWith(_folder, program, all, environment) : hosts.Start(_folder, program, all, environment);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALaunchThatLosesARankRestartsToTheBitsOfAnUnbrokenRun(bool acrossHosts)
    {
        using var hosts = acrossHosts ? TwoHosts.Up() : null;
        using (var whole = MpiLaunch.Start(_folder, 2, Train("whole", 16)))
        {
            var (wholeCode, wholeOutput, wholeErrors) = whole.WaitForExit(Patience);
            Assert.True(wholeCode == 0, wholeOutput + wholeErrors);
        }

        // Rank 1 is killed in the second epoch, after the first epoch's commit: the launch resumes from
        // the last commit before the kill (the first epoch's end, or 4 steps into the second).
        string token = Guid.NewGuid().ToString("N");
        using var launch = Launch(hosts, token, ["-n", "2", "--max-restarts", "2", "--", .. Train("split", 16, "--overwrite")]);
        Assert.True(launch.WaitForOutput("epoch 2/3  2/8", Patience), launch.Output + launch.Errors);
        int rank1 = MpiLaunch.FindRank(token, 1) ?? throw new InvalidOperationException("rank 1 was not found.");
        Assert.Equal(0, CliProcess.KillProcess(rank1, CliProcess.SigKill));
        var (code, output, errors) = launch.WaitForExit(Patience);
        Assert.True(code == 0, output + errors);
        Assert.Matches(@"launch: mpiexec exited with \d+ \([^)]*\); restart 1 of 2: 2 ranks resume from the checkpoint (after epoch 1|in epoch 2 after step 4) ", output);
        Assert.Contains("; resuming ", output);
        Assert.DoesNotContain("restart 2 of 2", output);

        string wholeRun = Path.Combine(_folder, "whole"), splitRun = Path.Combine(_folder, "split");
        RunFiles.AssertSameTensors(Path.Combine(wholeRun, RunFolder.LastFile), Path.Combine(splitRun, RunFolder.LastFile));
        RunFiles.AssertSameTensors(Path.Combine(wholeRun, RunFolder.BestFile), Path.Combine(splitRun, RunFolder.BestFile));
        RunFiles.AssertSameLogs(wholeRun, splitRun);
        Assert.Equal(24, File.ReadAllLines(Path.Combine(splitRun, RunLog.StepsFile)).Length - 1); // every step, logged once
    }

    [Fact]
    public void ALaunchThatFailsByItselfIsNotStartedAgain()
    {
        // 2 ranks x 200 images a step is more than the 256 training images: every attempt would fail alike.
        using var launch = Launch(null, Guid.NewGuid().ToString("N"), ["-n", "2", "--", .. Train("refused", 200)]);
        var (code, output, errors) = launch.WaitForExit(Patience);
        Assert.Equal(1, code);
        Assert.Contains("is more than the 256 training images", errors);
        Assert.DoesNotContain("restart", output + errors);

        // What launch itself refuses: one line each.
        var notTrain = CliProcess.Run(_folder, Patience, "launch", "-n", "2", "--", "eval", "--checkpoint", "x");
        Assert.Equal((1, "error: launch runs train (launch -n 2 -- train MODEL ...), not 'eval'."), (notTrain.ExitCode, notTrain.Errors.Trim()));
        var badTrain = CliProcess.Run(_folder, Patience, "launch", "-n", "2", "--", "train", "resnet", "--epochs", "x");
        Assert.Equal(2, badTrain.ExitCode);
        Assert.Equal("error: launch: the train command line does not parse: Cannot parse argument 'x' for option '--epochs' as an integer (see 'train --help')", badTrain.Errors.Trim());
    }
}
