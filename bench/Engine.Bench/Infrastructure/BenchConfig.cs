using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Engine.Bench.Infrastructure;

/// <summary>
/// In-process runs (the devices are native resources opened once per benchmark), few iterations
/// (a 1024^3 GEMM on the CPU accelerator takes about a second), and a GFLOP/s column.
/// </summary>
internal static class BenchConfig
{
    internal static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(6)
            .WithId("InProcess"))
        .AddColumn(new ThroughputColumn())
        .AddColumn(new Training.MemoryColumn())
        .AddColumn(StatisticColumn.Min)
        .AddExporter(BenchmarkDotNet.Exporters.Json.JsonExporter.Full)
        .WithOptions(ConfigOptions.JoinSummary);
}
