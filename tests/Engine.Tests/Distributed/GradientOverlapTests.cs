using System.Text.RegularExpressions;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Distributed;

/// <summary>
/// Buckets started during the backward pass, in the order their gradients become final, give the
/// bits of the exchange after it (one bucket of the flat buffer, as before the overlap): the same
/// weights, running statistics and optimiser state after training, on 2 ranks (with synchronised
/// batch norm, whose own exchanges run while buckets are in flight) and on 3, where MPI's reduction
/// is not a single addition.
/// </summary>
[Collection(DeviceCollection.Name)]
[BackendIndependent("MPI exchanges host buffers; each rank runs the single-process graph, proven on every backend in process")]
public sealed class GradientOverlapTests(DeviceFixture fixture) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-overlap-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string[] Args(string run, int ranks, params string[] extra) =>
        ["train", "resnet", "--epochs", "1", "--limit", (32 * ranks).ToString(System.Globalization.CultureInfo.InvariantCulture), "--batch-size", "16",
         "--base-width", "4", "--optimizer", "sgd", "--lr", "0.01", "--seed", "7", "--plain", "--device", fixture.Spec.ToString(), "-o", Path.Combine(_folder, run), .. extra];

    private string Train(string run, int ranks, Dictionary<string, string> environment, params string[] extra)
    {
        var args = Args(run, ranks, extra);
        using var launch = MpiLaunch.Start(_folder, Guid.NewGuid().ToString("N"), environment, Enumerable.Repeat(args, ranks).ToArray());
        var (code, output, errors) = launch.WaitForExit(Patience);
        Assert.True(code == 0, output + errors);
        return output;
    }

    [Theory]
    [InlineData(2, "--sync-batchnorm")]
    [InlineData(3, "--augment")]
    [InlineData(2, "--accumulate=2")] // the last batch's backward pass starts the exchange of the sums
    public void BucketsStartedDuringBackwardGiveTheBitsOfTheExchangeAfterIt(int ranks, string option)
    {
        string after = Train("after", ranks, new() { ["ENGINE_OVERLAP"] = "0" }, option);
        Assert.Contains("1 bucket after the backward pass", after);
        // Buckets of 20 KiB: the 44,550 gradients of ResNet-18 at width 4 travel in 10 of them.
        string during = Train("during", ranks, new() { ["ENGINE_BUCKET_MIB"] = "0.02" }, option);
        var started = Regex.Match(during, @"(\d+) of (\d+) buckets a step started during the backward pass");
        Assert.True(started.Success, during);
        Assert.True(int.Parse(started.Groups[2].Value) >= 8 && started.Groups[1].Value == started.Groups[2].Value, started.Value);
        RunFiles.AssertSameTensors(Path.Combine(_folder, "after", RunFolder.LastFile), Path.Combine(_folder, "during", RunFolder.LastFile));
    }
}
