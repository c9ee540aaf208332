using BenchmarkDotNet.Running;
using Engine.Bench.GpuCheck;
using Engine.Bench.Infrastructure;
using Engine.Bench.Training;

// Runs the benchmarks chosen by BenchmarkDotNet's usual arguments (--filter '*Gemm*', --list flat)
// on every usable device, or on the devices named in ENGINE_BENCH_DEVICES (comma-separated specs).
// `--cases` lists the training cases; `--peak-memory CASE` prints the peak memory a step of that
// case adds to a fresh process, as `name<TAB>bytes` (bench/compare.sh runs one process per case);
// `--launch-profile CASE [--dry]` prints the launch profile of one training step of a case (run it
// as a GPU would with ENGINE_HOST_PATH=0 ENGINE_GEMM=shared; see docs/PERFORMANCE.md).
// `gpu-report [--device cuda] [--quick] [--rows FILE] [--predictions FILE] [--budget S]` runs the GPU
// check's GEMM (checked against cuBLAS), convolution and training-step cases on one device, the
// issue's targets first, writing each row as it is measured; `gpu-report --list-cases` lists them
// for the PyTorch peer; `gpu-summary --rows FILE --peer FILE` joins the rows into one table
// (scripts/gpu-check.sh; see GpuCheck/). `--allreduce`, under mpiexec -n N, times the
// all-reduce of 4 KiB to 64 MiB through the MPI communicator (see Distributed/AllReduceReport.cs);
// `--overlap [steps]`, under mpiexec -n 2, measures the share of the gradient exchange the overlap
// with the backward pass hides (Distributed/OverlapReport.cs); `nccl-smoke --device cuda[:N]`, one rank of
// the NCCL communicator, is the GPU check's NCCL part (Distributed/NcclSmoke.cs).
if (args.Length == 1 && args[0] == "--cases")
{
    foreach (var c in Engine.Bench.Cases.ModelCase.Training())
        Console.WriteLine(c.Name);
    return 0;
}
if (args.Length == 2 && args[0] == "--peak-memory")
{
    PeakMemoryReport.Print(args[1]);
    return 0;
}
if (args.Length is 2 or 3 && args[0] == "--launch-profile")
{
    LaunchProfileReport.Print(args[1], dry: args.Length == 3 && args[2] == "--dry");
    return 0;
}
if (args.Length == 1 && args[0] == "--allreduce")
    return Engine.Bench.Distributed.AllReduceReport.Run(); // under mpiexec -n N
if (args.Length is 1 or 2 && args[0] == "--overlap")
    return Engine.Bench.Distributed.OverlapReport.Run(args.Length == 2 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60); // under mpiexec -n 2
if (args.Length >= 1 && args[0] == "nccl-smoke")
    return Engine.Bench.Distributed.NcclSmoke.Run(args[1..]);
if (args.Length >= 1 && args[0] == "sass-report")
    return Engine.Bench.Sass.SassReport.Run(args[1..]);
if (args.Length >= 1 && args[0] == "gpu-report")
    return GpuReport.Run(args[1..]);
if (args.Length >= 1 && args[0] == "gpu-summary")
    return GpuSummary.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
return 0;
