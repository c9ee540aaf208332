using System.Globalization;
using Engine.Devices;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// What every case of one GPU check run shares: the one device (opened once, so kernels compile
/// once per process), the rows, the timer, the deadline, the FP32 peak, cuBLAS where it loaded, and
/// the predictions.
/// </summary>
internal sealed record CheckContext(ComputeDevice Device, RowLog Log, CaseTimer Timer, DateTime Deadline, GpuPeak? Peak, CuBlasAnchor? CuBlas, Predictions Predictions)
{
    /// <summary>
    /// The note of an engine row: what ran, the share of the FP32 peak (for GFLOP/s), the
    /// prediction and the target, where there are any.
    /// </summary>
    public string Note(string caseName, string pass, double? value, string unit, string? ran = null)
    {
        var parts = new List<string>();
        if (ran is not null)
            parts.Add(ran);
        if (unit == "GFLOP/s" && value is double v && Peak is { Gflops: > 0 } p)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{100 * v / p.Gflops:0.0}% of FP32 peak"));
        if (Predictions.For(caseName, pass) is string predicted)
            parts.Add($"predicted {predicted}");
        if (GpuCheckCases.Target(caseName) is string target)
            parts.Add($"target {target}");
        return string.Join("; ", parts);
    }
}
