using System.Globalization;
using Engine.Distributed;

namespace Engine.Cli.Training;

/// <summary>
/// How a data-parallel run exchanges gradients, from the environment (the same on every rank, which
/// mpiexec starts with its own): <c>ENGINE_BUCKET_MIB</c>, the largest bucket in MiB (DDP's
/// <c>bucket_cap_mb</c>, default 25), and <c>ENGINE_OVERLAP=0</c>, which exchanges every bucket
/// after the backward pass instead of during it. Neither changes the result's bits. Both are
/// checked with the other <c>ENGINE_*</c> variables before any command runs
/// (<see cref="EnvironmentVariables"/>), by the rules here.
/// </summary>
internal static class GradientExchange
{
    /// <summary>The environment variable with the largest bucket, in MiB.</summary>
    public const string BucketVariable = "ENGINE_BUCKET_MIB";

    /// <summary>The environment variable that turns the overlap off (0) or on (1, the default).</summary>
    public const string OverlapVariable = "ENGINE_OVERLAP";

    /// <summary>What <see cref="BucketVariable"/> takes, as the refusal says it.</summary>
    public const string BucketRule = "must be a size in MiB in [4 bytes, 1 TiB], e.g. 25 or 0.5";

    /// <summary>What <see cref="OverlapVariable"/> takes, as the refusal says it.</summary>
    public const string OverlapRule = "must be 0 (exchange after the backward pass) or 1 (during it, the default), or off/on, false/true";

    /// <summary>The largest bucket in bytes; a value that is not a size is refused naming it.</summary>
    public static long BucketBytes()
    {
        string? text = Environment.GetEnvironmentVariable(BucketVariable);
        if (string.IsNullOrEmpty(text))
            return DataParallel.DefaultBucketBytes;
        return ParseBucketBytes(text) ?? throw new ArgumentException($"{BucketVariable} {BucketRule}, got '{text}'.");
    }

    /// <summary>A bucket size in MiB as bytes, or null when <paramref name="text"/> is not one (NaN, infinite, under 4 bytes, over 1 TiB).</summary>
    public static long? ParseBucketBytes(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double mib) && mib * (1 << 20) >= sizeof(float) && mib <= 1 << 20
            ? (long)(mib * (1 << 20))
            : null;

    /// <summary>Whether buckets start during the backward pass.</summary>
    public static bool Overlap()
    {
        string? text = Environment.GetEnvironmentVariable(OverlapVariable);
        return string.IsNullOrEmpty(text) || (ParseOverlap(text) ?? throw new ArgumentException($"{OverlapVariable} {OverlapRule}, got '{text}'."));
    }

    /// <summary>The switch's value (1, on, true: on; 0, off, false: off), or null for anything else.</summary>
    public static bool? ParseOverlap(string text) => text switch
    {
        "1" or "on" or "true" => true,
        "0" or "off" or "false" => false,
        _ => null,
    };
}
