using System.Globalization;
using System.Text;

namespace Engine.Devices;

/// <summary>
/// The figures of a <see cref="LaunchProfile"/>: launches, work-items per launch (minimum and
/// median), the share of declared FLOPs in launches of at least
/// <see cref="LaunchProfile.FillingWorkItems"/> work-items, bytes each way and synchronisations,
/// the kernels that launched most often, and the GEMMs with the most FLOPs among those too small to fill a GPU.
/// </summary>
public sealed record LaunchSummary(
    int Launches, long MinWorkItems, long MedianWorkItems, double Flops, double FillingFlopShare,
    long BytesToDevice, long BytesToHost, int Synchronizations, IReadOnlyList<(string Kernel, int Launches, double Flops)> ByKernel,
    IReadOnlyList<LaunchRecord> LargestUnfilled)
{
    internal static LaunchSummary Of(LaunchProfile profile)
    {
        var launches = profile.Launches;
        var sizes = launches.Select(l => l.WorkItems).Order().ToArray();
        double flops = launches.Sum(l => l.Flops);
        double filling = launches.Where(l => l.WorkItems >= LaunchProfile.FillingWorkItems).Sum(l => l.Flops);
        var byKernel = launches.GroupBy(l => l.Kernel)
            .Select(g => (g.Key, g.Count(), g.Sum(l => l.Flops)))
            .OrderByDescending(k => k.Item2).ThenBy(k => k.Key, StringComparer.Ordinal).ToList();
        return new LaunchSummary(
            launches.Count,
            sizes.Length == 0 ? 0 : sizes[0],
            sizes.Length == 0 ? 0 : sizes[sizes.Length / 2],
            flops,
            flops == 0 ? 1 : filling / flops,
            profile.BytesToDevice, profile.BytesToHost, profile.Synchronizations, byKernel,
            launches.Where(l => l.Flops > 0 && l.WorkItems < LaunchProfile.FillingWorkItems).OrderByDescending(l => l.Flops).Take(5).ToList());
    }

    /// <summary>A few lines: the totals, then the <paramref name="topKernels"/> kernels launched most.</summary>
    public string Format(int topKernels = 8)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"launches {Launches}, work-items per launch min {MinWorkItems} median {MedianWorkItems}");
        s.AppendLine(c, $"GEMM GFLOP {Flops / 1e9:F1}, in launches of >= {LaunchProfile.FillingWorkItems} work-items {100 * FillingFlopShare:F1}%");
        s.AppendLine(c, $"host->device {BytesToDevice} B, device->host {BytesToHost} B, synchronisations {Synchronizations}");
        foreach (var (kernel, count, flops) in ByKernel.Take(topKernels))
            s.AppendLine(c, $"  {count,6} x {kernel}{(flops > 0 ? $" ({flops / 1e9:F1} GFLOP)" : "")}");
        foreach (var l in LargestUnfilled)
            s.AppendLine(c, $"  below the fill: {l.Kernel}, {l.WorkItems} work-items, {l.Flops / 1e9:F2} GFLOP");
        return s.ToString();
    }
}
