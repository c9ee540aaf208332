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

    /// <summary>
    /// Runs a command's body, turning the errors a user can cause (bad options, missing or damaged
    /// files, absent devices, checkpoints that do not fit) into one short line and exit code 1.
    /// </summary>
    internal static int Guard(TextWriter errors, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException or DeviceNotFoundException)
        {
            errors.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Opens the device named by the option or the environment, writing a short error and returning null on failure.</summary>
    internal static ComputeDevice? OpenDevice(string? spec)
    {
        try
        {
            return spec is null ? ComputeDevice.OpenDefault() : ComputeDevice.Open(spec);
        }
        catch (Exception e) when (e is ArgumentException or DeviceNotFoundException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return null;
        }
    }
}
