using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Engine.Bench.Peer;

// LibTorch on the CPU with as many threads as the engine uses (one per core), on the cases of the
// engine's suite (bench/Shared), with the same class, method and parameter names, so that the two
// reports join into one table of ratios (bench/compare.sh). `--peak-memory CASE` prints the peak
// memory a training step of that case adds to a fresh process instead (`name<TAB>bytes`).
TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
if (args.Length == 2 && args[0] == "--peak-memory")
{
    PeakMemoryReport.Print(args[1]);
    return;
}
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(6).WithId("InProcess"))
    .AddColumn(StatisticColumn.Min)
    .AddExporter(JsonExporter.Full)
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(PeerModels).Assembly).Run(args, config);
