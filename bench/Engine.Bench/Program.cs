using BenchmarkDotNet.Running;
using Engine.Bench.Infrastructure;

// Runs the benchmarks chosen by BenchmarkDotNet's usual arguments (--filter '*Gemm*', --list flat)
// on every usable device, or on the devices named in ENGINE_BENCH_DEVICES (comma-separated specs).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
