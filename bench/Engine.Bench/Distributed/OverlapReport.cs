using System.Diagnostics;
using System.Globalization;
using Engine.Devices;
using Engine.Distributed;
using Engine.Graph;
using Engine.Modules;
using Engine.Optim;
using Engine.Tensors;

namespace Engine.Bench.Distributed;

/// <summary>
/// <c>mpiexec -n 2 -genv DOTNET_PROCESSOR_COUNT 1 dotnet Engine.Bench.dll --overlap [steps]</c>:
/// how much of the gradient exchange the overlap hides, on the main job's network (ResNet-18 at
/// width 8, 176,258 parameters, batch 32 per rank on 1x28x28 images, AdamW). Three ways of
/// exchanging take turns every few steps on the same ranks, so drifts of a shared machine fall on
/// all alike: after the backward pass in one bucket (as before the overlap), during it in DDP's
/// buckets (one bucket here: 0.7 MiB is under the first bucket's 1 MiB), and during it in 64 KiB
/// buckets. Each step: a barrier (the ranks start together), forward and backward (with whatever
/// exchange starts during it), a barrier (the wait for the slower rank: buckets in flight progress
/// meanwhile), then <see cref="DataParallel.AverageGradients"/>, whose time is the exchange left
/// after the slower rank's backward pass. The share hidden is one minus that time with the overlap
/// over that time without. Rank 0 prints medians.
/// </summary>
internal static class OverlapReport
{
    private const int Batch = 32, Classes = 10, Size = 28, Block = 5;

    public static int Run(int steps)
    {
        using var communicator = MpiCommunicator.Start(TimeSpan.FromSeconds(120));
        using var device = ComputeDevice.OpenDefault();
        var model = Engine.Models.ResNet.ResNet18(Classes, 1, smallStem: true, width: 8);
        model.Initialize(device, seed: 1);
        var g = new GraphBuilder(device, training: true, seed: 1);
        var x = g.Input("x", Batch, 1, Size, Size);
        var y = g.IntInput("y", Batch);
        var lossNode = model.Call(x).CrossEntropy(y);
        using var graph = g.Compile(lossNode);
        var random = new Random(communicator.Rank + 1);
        graph.Value(x).CopyFrom(Enumerable.Range(0, Batch * Size * Size).Select(_ => (float)random.NextDouble()).ToArray());
        graph.IntValue(y).CopyFrom(Enumerable.Range(0, Batch).Select(_ => random.Next(Classes)).ToArray());
        using var optimizer = new AdamW(model.NamedParameters().Select(p => p.Parameter), 1e-3f);
        var modes = new (string Name, DataParallel Parallel)[]
        {
            ("after the backward pass, 1 bucket", new DataParallel(communicator, model, optimizer)),
            ("during it, DDP's buckets", new DataParallel(communicator, model, optimizer, overlapWith: graph)),
            ("during it, 64 KiB buckets", new DataParallel(communicator, model, optimizer, 64 << 10, overlapWith: graph)),
        };
        var times = modes.Select(_ => new List<double[]>()).ToArray(); // per step: compute, wait for the slower rank, exchange after it, of which the buckets, step
        for (int warm = 0; warm < 2; warm++)
            Step(modes[warm % modes.Length].Parallel);
        for (int s = 0; s < steps * modes.Length; s++)
        {
            int m = s / Block % modes.Length;
            times[m].Add(Step(modes[m].Parallel));
        }
        if (communicator.Rank == 0)
            Print(communicator, model, modes, times);
        foreach (var (_, parallel) in modes)
            parallel.Dispose();
        model.Release();
        return 0;

        double[] Step(DataParallel parallel)
        {
            communicator.Barrier();
            long start = Stopwatch.GetTimestamp();
            optimizer.ZeroGrad();
            parallel.BeginStep();
            graph.Forward();
            graph.Backward();
            device.Synchronize();
            long computed = Stopwatch.GetTimestamp();
            communicator.Barrier();
            long aligned = Stopwatch.GetTimestamp();
            var waited = parallel.GradientWaitTime;
            parallel.AverageGradients(graph.Value(lossNode));
            long exchanged = Stopwatch.GetTimestamp();
            double buckets = (parallel.GradientWaitTime - waited).TotalMilliseconds;
            optimizer.Step();
            device.Synchronize();
            long end = Stopwatch.GetTimestamp();
            double Ms(long a, long b) => (b - a) * 1000.0 / Stopwatch.Frequency;
            return [Ms(start, computed), Ms(computed, aligned), Ms(aligned, exchanged), buckets, Ms(start, end)];
        }
    }

    private static void Print(ICommunicator communicator, Module model, (string Name, DataParallel Parallel)[] modes, List<double[]>[] times)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"gradient exchange of ResNet-18 width 8 ({model.ParameterCount:N0} parameters, {model.ParameterCount * 4 / 1048576.0:F2} MiB), batch {Batch} per rank, {communicator.Size} ranks, {communicator.Description}; medians over {times[0].Count} steps each, rank 0"));
        Console.WriteLine($"{"exchange",-30} {"buckets",8} {"fwd+bwd ms",11} {"in bwd ms",10} {"wait ms",8} {"after ms",9} {"buckets ms",11} {"step ms",8}");
        double baseline = Median(times[0], 3);
        for (int m = 0; m < modes.Length; m++)
        {
            var p = modes[m].Parallel;
            double inBackward = p.Exchanges == 0 ? 0 : p.ExchangeTimeDuringBackward.TotalMilliseconds / p.Exchanges;
            Console.WriteLine(string.Create(c, $"{modes[m].Name,-30} {p.BucketCount,8} {Median(times[m], 0),11:F2} {inBackward,10:F2} {Median(times[m], 1),8:F2} {Median(times[m], 2),9:F3} {Median(times[m], 3),11:F3} {Median(times[m], 4),8:F2}"));
        }
        for (int m = 1; m < modes.Length; m++)
            Console.WriteLine(string.Create(c, $"hidden ({modes[m].Name}): {100 * (1 - Median(times[m], 3) / baseline):F0}% of the buckets' exchange time after the slower rank's backward pass"));
    }

    private static double Median(List<double[]> rows, int column)
    {
        var values = rows.Select(r => r[column]).Order().ToArray();
        return values[values.Length / 2];
    }
}
