using System.Globalization;

namespace Engine.Devices;

/// <summary>How much host memory a new allocation can still take (the CPU accelerator's device memory is host memory).</summary>
internal static class HostMemory
{
    /// <summary>
    /// Linux's estimate of memory available without swapping (<c>MemAvailable</c> in /proc/meminfo),
    /// bounded by the runtime's view of the container's limit; elsewhere the runtime's view alone.
    /// </summary>
    public static long Available()
    {
        var gc = GC.GetGCMemoryInfo();
        long runtime = Math.Max(0, gc.TotalAvailableMemoryBytes - Environment.WorkingSet);
        if (!OperatingSystem.IsLinux())
            return runtime;
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    continue;
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                long kib = long.Parse(parts[1], CultureInfo.InvariantCulture);
                return Math.Min(kib * 1024, runtime);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return runtime;
    }
}
