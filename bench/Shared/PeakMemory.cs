using System.Globalization;

namespace Engine.Bench.Cases;

/// <summary>
/// The peak resident memory a piece of work adds to the process, from Linux's high-water mark:
/// writing 5 to /proc/self/clear_refs resets <c>VmHWM</c> to the current resident size, so after the
/// work <c>VmHWM</c> minus the size before it is the most the work held at once. Both suites measure
/// a training step this way, so the engine's device memory (host memory on the CPU) and LibTorch's
/// allocations count alike.
/// </summary>
public static class PeakMemory
{
    /// <summary>Bytes above the resident size at the start that <paramref name="work"/> reached at its peak.</summary>
    public static long Of(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        File.WriteAllText("/proc/self/clear_refs", "5");
        long before = Read("VmRSS");
        work();
        return Math.Max(0, Read("VmHWM") - before);
    }

    private static long Read(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException($"/proc/self/status has no {field}.");
    }
}
