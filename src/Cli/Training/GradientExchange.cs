using System.Globalization;
using Engine.Distributed;

namespace Engine.Cli.Training;

/// <summary>
/// How a data-parallel run exchanges gradients, from the environment (the same on every rank, which
/// mpiexec starts with its own): <c>ENGINE_BUCKET_MIB</c>, the largest bucket in MiB (DDP's
/// <c>bucket_cap_mb</c>, default 25), and <c>ENGINE_OVERLAP=0</c>, which exchanges every bucket
/// after the backward pass instead of during it. Neither changes the result's bits.
/// </summary>
internal static class GradientExchange
{
    /// <summary>The environment variable with the largest bucket, in MiB.</summary>
    public const string BucketVariable = "ENGINE_BUCKET_MIB";

    /// <summary>The environment variable that turns the overlap off (0) or on (1, the default).</summary>
    public const string OverlapVariable = "ENGINE_OVERLAP";

    /// <summary>The largest bucket in bytes; a value that is not a size is refused naming it.</summary>
    public static long BucketBytes()
    {
        string? text = Environment.GetEnvironmentVariable(BucketVariable);
        if (string.IsNullOrEmpty(text))
            return DataParallel.DefaultBucketBytes;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double mib) && mib * (1 << 20) >= sizeof(float) && mib <= 1 << 20
            ? (long)(mib * (1 << 20))
            : throw new ArgumentException($"{BucketVariable} must be a size in MiB in [4 bytes, 1 TiB], e.g. 25 or 0.5, got '{text}'.");
    }

    /// <summary>Whether buckets start during the backward pass.</summary>
    public static bool Overlap() => Environment.GetEnvironmentVariable(OverlapVariable) switch
    {
        null or "" or "1" => true,
        "0" => false,
        var other => throw new ArgumentException($"{OverlapVariable} must be 0 (exchange after the backward pass) or 1 (during it, the default), got '{other}'."),
    };
}
