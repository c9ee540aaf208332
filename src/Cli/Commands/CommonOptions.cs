using System.CommandLine;
using Engine.Devices;

namespace Engine.Cli.Commands;

/// <summary>Options shared by the commands.</summary>
internal static class CommonOptions
{
    /// <summary><c>--device auto|cpu|opencl[:N]|cuda[:N]</c>; ENGINE_DEVICE when absent.</summary>
    internal static Option<string?> Device() => new("--device", "-d")
    {
        Description = $"Device: auto, cpu, opencl[:N] or cuda[:N]. Default: ${DeviceSpec.EnvironmentVariable}, else auto.",
    };

    /// <summary>Runs a command's body, turning any error into one short line and exit code 1 (see <see cref="ErrorReport"/>).</summary>
    internal static int Guard(TextWriter errors, Func<int> body) => ErrorReport.Guard(errors, body);

    /// <summary>Opens the device named by the option or the environment.</summary>
    internal static ComputeDevice OpenDevice(string? spec) => spec is null ? ComputeDevice.OpenDefault() : ComputeDevice.Open(spec);
}
