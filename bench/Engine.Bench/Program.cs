using BenchmarkDotNet.Running;
using Engine.Bench.Infrastructure;
using Engine.Bench.Training;

// Runs the benchmarks chosen by BenchmarkDotNet's usual arguments (--filter '*Gemm*', --list flat)
// on every usable device, or on the devices named in ENGINE_BENCH_DEVICES (comma-separated specs).
// `--cases` lists the training cases; `--peak-memory CASE` prints the peak memory a step of that
// case adds to a fresh process, as `name<TAB>bytes` (bench/compare.sh runs one process per case).
if (args.Length == 1 && args[0] == "--cases")
{
    foreach (var c in Engine.Bench.Cases.ModelCase.Training())
        Console.WriteLine(c.Name);
    return;
}
if (args.Length == 2 && args[0] == "--peak-memory")
{
    PeakMemoryReport.Print(args[1]);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
