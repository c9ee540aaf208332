using System.Globalization;
using Engine.Devices;
using ILGPU.Runtime.Cuda;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// <c>gpu-report</c>: the GPU check's measurements on one device, opened once (so every kernel
/// compiles once in the process), the targets first (<see cref="GpuCheckCases"/>). Each
/// row is written to the rows file and printed the moment it is measured; past the budget the
/// remaining cases are listed as not run. The device must be present: an absent one is one line
/// and exit code 1. Exit code 1 also when a case failed or a check was out of tolerance.
/// <c>gpu-report --list-cases [--quick]</c> prints the cases for the PyTorch peer.
/// </summary>
internal static class GpuReport
{
    private const string Usage = "usage: gpu-report [--device cuda[:N]|cpu|opencl[:N]] [--quick] [--rows FILE] [--predictions FILE] [--budget SECONDS] | gpu-report --list-cases [--quick]";

    public static int Run(string[] args)
    {
        string? spec = null, rowsFile = null, predictionsFile = null;
        bool quick = false, list = false;
        double budget = 1e6;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--device" when i + 1 < args.Length: spec = args[++i]; break;
                case "--rows" when i + 1 < args.Length: rowsFile = args[++i]; break;
                case "--predictions" when i + 1 < args.Length: predictionsFile = args[++i]; break;
                case "--budget" when i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out budget): i++; break;
                case "--quick": quick = true; break;
                case "--list-cases": list = true; break;
                default:
                    Console.Error.WriteLine($"gpu-report: unexpected argument '{args[i]}'; {Usage}");
                    return 2;
            }
        }
        if (list)
        {
            foreach (var c in GpuCheckCases.All(quick))
                Console.WriteLine(c.ToListLine());
            return 0;
        }
        var deadline = DateTime.UtcNow.AddSeconds(budget);
        spec ??= Environment.GetEnvironmentVariable(DeviceSpec.EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : "cuda";

        Predictions predictions;
        try
        {
            predictions = predictionsFile is null ? Predictions.None : Predictions.Load(predictionsFile);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"gpu-report: FAILED: predictions: {OneLine(e.Message)}");
            return 1;
        }

        ComputeDevice device;
        try
        {
            device = ComputeDevice.Open(spec);
        }
        catch (Exception e) when (e is DeviceNotFoundException or ArgumentException)
        {
            Console.Error.WriteLine($"gpu-report: FAILED: no '{spec}' device: {OneLine(e.Message)}");
            return 1;
        }
        using (device)
        using (var log = new RowLog(rowsFile))
        {
            var (peak, cublas) = Describe(device, log, quick);
            using (cublas)
            {
                var context = new CheckContext(device, log, quick ? CaseTimer.Quick : CaseTimer.Gpu, deadline, peak, cublas, predictions);
                RunCases(context, GpuCheckCases.All(quick), budget);
            }
            RowLog.Say(log.Failed ? "gpu-report: FAILED (a case failed or a check was out of tolerance; see its row)" : "gpu-report: every case that ran passed");
            return log.Failed ? 1 : 0;
        }
    }

    /// <summary>A text on one line (messages of native libraries span several).</summary>
    public static string OneLine(string text) => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    // The facts the rows need beside them: the device, its FP32 peak, cuBLAS.
    private static (GpuPeak? Peak, CuBlasAnchor? CuBlas) Describe(ComputeDevice device, RowLog log, bool quick)
    {
        log.Fact("device", device.Info.ToString());
        log.Fact("timing", quick
            ? "quick (the dry run's sizes): 1 warm-up, the lower of 2 timed runs"
            : "2 warm-ups, then the median of 3 repetitions of about 0.25 s each (runs queued back to back, one wait)");
        GpuPeak? peak = null;
        if (device.Accelerator is CudaAccelerator cuda)
        {
            peak = GpuPeak.Of(cuda);
            log.Fact("fp32-peak", peak.ToString());
            if (peak.Gflops > 0)
                log.Fact("peak-gflops", peak.Gflops.ToString("0.0", CultureInfo.InvariantCulture));
            log.Fact("cuda", $"driver {cuda.DriverVersion}, PTX architecture {cuda.Architecture}, instruction set {cuda.InstructionSet}");
        }
        else
        {
            log.Fact("fp32-peak", $"not computed ({DeviceSpec.KindName(device.Kind)} is not a CUDA device; this run proves the plumbing, its figures are not a GPU's)");
        }
        var cublas = CuBlasAnchor.TryOpen(device, out string problem);
        log.Fact("cublas", cublas is null ? problem : $"version {cublas.Version}, math mode {cublas.MathMode} ({(int)cublas.MathMode}: FP32, no TF32), from {cublas.Library}");
        return (peak is { Gflops: > 0 } ? peak : null, cublas);
    }

    private static void RunCases(CheckContext context, IReadOnlyList<GpuCheckCase> cases, double budget)
    {
        foreach (var c in cases)
        {
            if (DateTime.UtcNow > context.Deadline)
            {
                string pass = c.Section switch { "gemm" => "gemm", "train" => "step", _ => "forward" };
                context.Log.Row(new ResultRow("engine", c.Section, c.Name, pass, null, null, "-", $"not run: the report's budget of {budget:0} s was spent"));
                continue;
            }
            try
            {
                switch (c.Section)
                {
                    case "gemm": GemmRun.Run(context, c); break;
                    case "conv": ConvRun.Run(context, c); break;
                    default: TrainingRun.Run(context, c); break;
                }
            }
            catch (Exception e)
            {
                context.Log.Row(new ResultRow("engine", c.Section, c.Name, "-", null, null, "-", $"FAILED: {e.GetType().Name}: {OneLine(e.Message)}"), failed: true);
            }
            finally
            {
                context.Device.ReleaseCachedMemory(); // the next case gets the whole device
            }
        }
    }
}
