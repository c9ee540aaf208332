using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Engine.Bench.Blas;
using Engine.Bench.Cases;
using Engine.Bench.Convolution;
using Engine.Bench.Infrastructure;
using Engine.Bench.Training;
using Engine.Devices;
using ILGPU;
using ILGPU.Runtime.Cuda;
using Perfolizer.Horology;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// <c>gpu-report</c>: the GEMM (with 4096^3), convolution and training-step benchmarks on one
/// device with short in-process BenchmarkDotNet jobs (no project is built, so it runs from a
/// self-contained publish with no SDK), then one report: GFLOP/s and the fraction of the GPU's
/// FP32 peak, cuBLAS SGEMM measured in the same run where libcublas loads, and images/s per model.
/// The device must be present: an absent one is one line and exit code 1, never a skipped report.
/// </summary>
internal static class GpuReport
{
    private const string Usage = "usage: gpu-report [--device cuda[:N]|cpu|opencl[:N]] [--quick] [--report FILE] [--artifacts DIR]";

    public static int Run(string[] args)
    {
        string? spec = null, reportFile = null;
        string artifacts = Path.Combine("BenchmarkDotNet.Artifacts", "gpu-report");
        bool quick = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--device" when i + 1 < args.Length: spec = args[++i]; break;
                case "--report" when i + 1 < args.Length: reportFile = args[++i]; break;
                case "--artifacts" when i + 1 < args.Length: artifacts = args[++i]; break;
                case "--quick": quick = true; break;
                default:
                    Console.Error.WriteLine($"gpu-report: unexpected argument '{args[i]}'; {Usage}");
                    return 2;
            }
        }
        spec ??= Environment.GetEnvironmentVariable(DeviceSpec.EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : "cuda";

        DeviceInfo device;
        try
        {
            device = ComputeDevice.Resolve(DeviceSpec.Parse(spec));
        }
        catch (Exception e) when (e is DeviceNotFoundException or ArgumentException)
        {
            Console.Error.WriteLine($"gpu-report: FAILED: {OneLine(e.Message)}");
            return 1;
        }
        if (!device.IsUsable)
        {
            Console.Error.WriteLine($"gpu-report: FAILED: device '{spec}' is present but unusable: {device}");
            return 1;
        }

        var report = new Report(reportFile);
        report.Line($"device: {device}");
        report.Line($"jobs: BenchmarkDotNet in-process, {(quick ? "quick (dry-run sizes)" : "short")}; times are means over the measured iterations");
        GpuPeak? peak = null;
        bool cublas = false;
        if (device.Kind == DeviceKind.Cuda)
        {
            (peak, cublas) = ProbeCuda(device.Index, report);
        }
        else
        {
            report.Line($"FP32 peak: not computed ({DeviceSpec.KindName(device.Kind)} is not a CUDA device; this run proves the pipeline, its figures are not a GPU's)");
            report.Line("cuBLAS: not measured (not a CUDA device)");
        }

        // The suite's benchmarks, on this device only, with the report's extra cases.
        Environment.SetEnvironmentVariable(BenchDevices.EnvironmentVariable, device.Spec);
        GpuCheckCases.ExtraGemm.Add(GpuCheckCases.Gemm4096);
        GpuCheckCases.ExtraTraining.AddRange(GpuCheckCases.Targets(quick));
        if (cublas)
        {
            CuBlasGemmBenchmarks.CudaIndex = device.Index;
            CuBlasGemmBenchmarks.SquareShapes.AddRange(GemmBenchmarks.Shapes().Where(IsSquare));
        }
        // Kernels take micro- to milliseconds: BenchmarkDotNet's throughput runs, a few invocations
        // per 200 ms iteration. A training step can take seconds on the CPU: one step per iteration.
        var kernelJob = Config(artifacts, RunStrategy.Throughput, warmups: quick ? 1 : 2, iterations: quick ? 3 : 5);
        var stepJob = Config(artifacts, RunStrategy.Monitoring, warmups: 1, iterations: quick ? 3 : 5);

        var gemm = Bench<GemmBenchmarks>(kernelJob, report);
        var anchor = cublas ? Bench<CuBlasGemmBenchmarks>(kernelJob, report) : null;
        GemmSection(report, gemm, anchor, peak);
        ConvSection(report, Bench<ConvBenchmarks>(kernelJob, report), peak);
        TrainingSection(report, Bench<TrainingStepBenchmarks>(stepJob, report));

        report.Line(report.Failed ? "gpu-report: FAILED (a benchmark did not produce a result; the bench log has its error)" : "gpu-report: every benchmark produced a result");
        Console.WriteLine();
        Console.WriteLine("=== gpu-report ===");
        Console.Write(report.Text);
        return report.Failed ? 1 : 0;
    }

    /// <summary>The peak from ILGPU's CUDA accelerator, and whether cuBLAS loads beside it.</summary>
    private static (GpuPeak? Peak, bool CuBlas) ProbeCuda(int index, Report report)
    {
        using var context = Context.Create(builder => builder.Cuda());
        using var accelerator = context.CreateCudaAccelerator(index);
        var peak = GpuPeak.Of(accelerator);
        report.Line($"FP32 peak (no tensor cores): {peak}");
        report.Line($"CUDA driver {accelerator.DriverVersion}, PTX architecture {accelerator.Architecture}, instruction set {accelerator.InstructionSet}");
        try
        {
            using var blas = CuBlasGemmBenchmarks.Open(accelerator);
            report.Line($"cuBLAS: version {blas.Version} loaded (ILGPU.Runtime.Cuda.CuBlas), SGEMM in FP32 math mode, measured below in this run");
            return (peak.Gflops > 0 ? peak : null, true);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CuBlasException or TypeInitializationException)
        {
            report.Line($"cuBLAS: not measured: ILGPU's binding did not load libcublas (libcublas.so.12, .11 or .10 on the loader path): {OneLine(e.Message)}");
            return (peak.Gflops > 0 ? peak : null, false);
        }
    }

    private static void GemmSection(Report report, Summary? gemm, Summary? anchor, GpuPeak? peak)
    {
        report.Line("");
        report.Line("GEMM (Engine.Ops.Blas.Gemm, automatic kernel choice; FLOPs = 2 M N K x batch)");
        report.Line($"  {"shape",-10} {"ms",10} {"GFLOP/s",10} {"of peak",8} {"cuBLAS GFLOP/s",15} {"of cuBLAS",10}  target");
        if (gemm is null)
            return;
        foreach (var r in InOrder(gemm, GemmBenchmarks.Shapes(), (GemmShape s) => s.Name))
        {
            var shape = Parameter<GemmShape>(r);
            double? ns = MeanNs(r, report);
            double? cublasNs = anchor?.Reports.Where(a => Parameter<GemmShape>(a).Name == shape.Name).Select(a => MeanNs(a, report)).FirstOrDefault();
            string engine = Gflops(shape.Flops, ns);
            string blas = Gflops(shape.Flops, cublasNs);
            string ratio = ns is double e && cublasNs is double b ? Percent(b / e) : "-";
            report.Line($"  {shape.Name,-10} {Ms(ns),10} {engine,10} {OfPeak(shape.Flops, ns, peak),8} {blas,15} {ratio,10}  {GpuCheckCases.Target(shape.Name) ?? ""}".TrimEnd());
        }
    }

    private static void ConvSection(Report report, Summary? conv, GpuPeak? peak)
    {
        report.Line("");
        report.Line("Convolution, batch 8 (forward; forward + backward counted as 3x the forward FLOPs: input, weight and bias gradients)");
        report.Line($"  {"layer",-10} {"pass",-17} {"ms",10} {"GFLOP/s",10} {"of peak",8}");
        if (conv is null)
            return;
        foreach (var r in InOrder(conv, ConvBenchmarks.Cases(), (ConvCase c) => c.Name))
        {
            var layer = Parameter<ConvCase>(r);
            string pass = r.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            double flops = pass == nameof(ConvBenchmarks.ForwardBackward) ? 3 * layer.Flops : layer.Flops;
            double? ns = MeanNs(r, report);
            report.Line($"  {layer.Name,-10} {pass,-17} {Ms(ns),10} {Gflops(flops, ns),10} {OfPeak(flops, ns, peak),8}");
        }
    }

    private static void TrainingSection(Report report, Summary? steps)
    {
        report.Line("");
        report.Line("Training step (zero grads, forward, backward, Adam; FP32)");
        report.Line($"  {"case",-20} {"batch",5} {"input",11} {"ms/step",10} {"images/s",10}  target");
        if (steps is null)
            return;
        foreach (var r in InOrder(steps, TrainingStepBenchmarks.Cases(), (ModelCase c) => c.Name))
        {
            var c = Parameter<ModelCase>(r);
            double? ns = MeanNs(r, report);
            string images = ns is double t ? (c.Batch / (t / 1e9)).ToString("0.0", CultureInfo.InvariantCulture) : "FAILED";
            string input = $"{c.Channels}x{c.Size}x{c.Size}";
            report.Line($"  {c.Name,-20} {c.Batch,5} {input,11} {Ms(ns),10} {images,10}  {GpuCheckCases.Target(c.Name) ?? ""}".TrimEnd());
        }
    }

    /// <summary>Runs one benchmark class; a run that throws is reported and counts as a failure.</summary>
    private static Summary? Bench<T>(IConfig config, Report report)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var summary = BenchmarkRunner.Run<T>(config);
            report.Note($"{typeof(T).Name}: {summary.Reports.Length} cases in {clock.Elapsed.TotalSeconds:0} s");
            if (summary.Reports.Length == 0)
                report.Fail($"{typeof(T).Name}: BenchmarkDotNet ran no case: {OneLine(string.Join("; ", summary.ValidationErrors.Select(v => v.Message)))}");
            return summary;
        }
        catch (Exception e)
        {
            report.Fail($"{typeof(T).Name}: {e.GetType().Name}: {OneLine(e.Message)}");
            return null;
        }
    }

    private static IConfig Config(string artifacts, RunStrategy strategy, int warmups, int iterations) => ManualConfig.CreateEmpty()
        .AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(strategy)
            .WithLaunchCount(1)
            .WithWarmupCount(warmups)
            .WithIterationCount(iterations)
            .WithIterationTime(TimeInterval.FromMilliseconds(200))
            .WithUnrollFactor(1)
            .WithId("GpuCheck"))
        .AddLogger(ConsoleLogger.Default)
        .AddColumnProvider(DefaultColumnProviders.Instance)
        .AddColumn(new ThroughputColumn())
        .AddColumn(new MemoryColumn())
        .AddExporter(BenchmarkDotNet.Exporters.Json.JsonExporter.Full)
        .WithArtifactsPath(artifacts);

    /// <summary>A summary's reports in the order their cases are defined (BenchmarkDotNet sorts parameters by text).</summary>
    private static IEnumerable<BenchmarkReport> InOrder<T>(Summary summary, IEnumerable<T> cases, Func<T, string> name)
    {
        var order = cases.Select(name).ToList();
        return summary.Reports
            .OrderBy(r => order.IndexOf(name(Parameter<T>(r))))
            .ThenBy(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == nameof(ConvBenchmarks.Forward) ? 0 : 1);
    }

    private static bool IsSquare(GemmShape s) => s.Batch == 1 && s.M == s.N && s.N == s.K && !s.TransposeA && !s.TransposeB;

    private static T Parameter<T>(BenchmarkReport r) => r.BenchmarkCase.Parameters.Items.Select(p => p.Value).OfType<T>().First();

    private static double? MeanNs(BenchmarkReport r, Report report)
    {
        double? mean = r.ResultStatistics?.Mean;
        if (mean is null or <= 0)
        {
            report.Fail($"{r.BenchmarkCase.DisplayInfo}: no result");
            return null;
        }
        return mean;
    }

    private static string Ms(double? ns) => ns is double t ? (t / 1e6).ToString("0.000", CultureInfo.InvariantCulture) : "FAILED";

    private static string Gflops(double flops, double? ns) => ns is double t ? (flops / t).ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string OfPeak(double flops, double? ns, GpuPeak? peak) =>
        ns is double t && peak is { Gflops: > 0 } p ? Percent(flops / t / p.Gflops) : "-";

    private static string Percent(double fraction) => (100 * fraction).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string OneLine(string text) => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>The report's text, written to its file after every line, so a run cut short still leaves what it measured.</summary>
    private sealed class Report(string? file)
    {
        private readonly StringBuilder _text = new();
        private readonly List<string> _notes = [];

        public bool Failed { get; private set; }

        public string Text => _text.ToString() + (_notes.Count == 0 ? "" : "\n" + string.Join("\n", _notes) + "\n");

        public void Line(string line)
        {
            _text.AppendLine(line);
            Flush();
        }

        public void Note(string note)
        {
            _notes.Add(note);
            Flush();
        }

        public void Fail(string problem)
        {
            Failed = true;
            Note("FAILED: " + problem);
        }

        private void Flush()
        {
            if (file is not null)
                File.WriteAllText(file, Text);
        }
    }
}
