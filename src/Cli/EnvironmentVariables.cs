using System.Collections;
using System.Globalization;
using Engine.Cli.Commands;
using Engine.Devices;

namespace Engine.Cli;

/// <summary>
/// The <c>ENGINE_*</c> environment variables, checked like options before any command runs: each
/// value the engine would read is checked against what its reader understands (a switch that the
/// library reads as "anything but 0 is on" must not take <c>maybe</c> as on), and a name the
/// engine does not read (a typo such as <c>ENGINE_DEVICES</c>) is refused as an unknown option is.
/// </summary>
internal static class EnvironmentVariables
{
    /// <summary>Switches: what <c>ENGINE_HOST_PATH</c>, <c>ENGINE_PROFILE</c> and <c>ENGINE_VERBOSE</c> take.</summary>
    private static readonly string[] SwitchValues = ["1", "0", "on", "off", "true", "false"];

    /// <summary>The variables the engine reads, each with its check (null: the value is fine).</summary>
    private static readonly Dictionary<string, Func<string, string?>> Known = new(StringComparer.Ordinal)
    {
        [DeviceSpec.EnvironmentVariable] = Device,
        ["ENGINE_HOST_PATH"] = Switch,
        [ComputeDevice.ProfileVariable] = Switch,
        [ErrorReport.VerboseVariable] = Switch,
        [Ops.Blas.AlgorithmVariable] = value => value is "auto" or "register" or "shared" or "host" ? null : "must be one of auto, register, shared, host",
        [Commands.TrainCommand.PeerTimeoutVariable] = value =>
            double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && s <= 86_400 ? null : "must be a number of seconds in (0, 86400]",
        ["ENGINE_MPI_LIBRARY"] = LibraryPath,
        [Engine.Distributed.NcclCommunicator.LibraryVariable] = LibraryPath,
        [Training.GradientExchange.BucketVariable] = value => Training.GradientExchange.ParseBucketBytes(value) is null ? Training.GradientExchange.BucketRule : null,
        [Training.GradientExchange.OverlapVariable] = value => Training.GradientExchange.ParseOverlap(value) is null ? Training.GradientExchange.OverlapRule : null,
    };

    /// <summary>Variables of the project's scripts (not the engine's), which may be exported in the same shell.</summary>
    private static readonly string[] Scripts = ["ENGINE_ROOTFS", "ENGINE_BENCH_DEVICES"];

    /// <summary>Whether a switch's value turns it on (1, on, true); the check has refused anything else that is set.</summary>
    public static bool IsOn(string? value) => value is "1" or "on" or "true";

    /// <summary>The first problem with the variables of <paramref name="environment"/>, as the line to print; null when there is none.</summary>
    public static string? Problem(IDictionary environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        foreach (var name in environment.Keys.OfType<string>().Where(n => n.StartsWith("ENGINE_", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string value = environment[name] as string ?? "";
            if (Known.TryGetValue(name, out var check))
            {
                // An empty value is the same as none, for every reader.
                if (value.Trim().Length > 0 && check(value) is string problem)
                    return $"{name}={Quote(value)} {problem}.";
            }
            else if (!Scripts.Contains(name))
            {
                return $"{name} is not a variable the engine reads ({string.Join(", ", Known.Keys.Order(StringComparer.Ordinal))}); unset it.";
            }
        }
        return null;
    }

    /// <summary>A library's path: any name the loader could take, but not bytes that are not UTF-8 (they would not name the file).</summary>
    private static string? LibraryPath(string value) => value.Contains('\uFFFD', StringComparison.Ordinal) ? "holds bytes that are not UTF-8" : null;

    private static string? Switch(string value) => SwitchValues.Contains(value) ? null : "must be 1 or 0 (or on/off, true/false)";

    private static string? Device(string value)
    {
        try
        {
            DeviceSpec.Parse(value);
            return null;
        }
        catch (ArgumentException)
        {
            return "is not a device: give auto, cpu, opencl[:N] or cuda[:N]";
        }
    }

    /// <summary>The value as the user would recognise it, shortened when long.</summary>
    private static string Quote(string value) => $"'{(value.Length > 60 ? value[..60] + "..." : value)}'";

    /// <summary>The environment of this process.</summary>
    public static IDictionary Current => Environment.GetEnvironmentVariables();
}
