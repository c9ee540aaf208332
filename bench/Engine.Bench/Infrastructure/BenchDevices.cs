using Engine.Devices;

namespace Engine.Bench.Infrastructure;

/// <summary>The devices to benchmark: ENGINE_BENCH_DEVICES (comma-separated specs) or every usable one.</summary>
public static class BenchDevices
{
    /// <summary>Environment variable naming the devices, e.g. <c>opencl,cpu</c>.</summary>
    public const string EnvironmentVariable = "ENGINE_BENCH_DEVICES";

    /// <summary>Device specs to run on.</summary>
    public static IEnumerable<string> Specs()
    {
        string? requested = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(requested))
            return requested.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return ComputeDevice.Enumerate().Where(d => d.IsUsable).Select(d => d.Spec).ToList();
    }
}
