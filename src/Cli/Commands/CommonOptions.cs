using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
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
    /// A float32 option whose text is checked as the user wrote it: a number beyond float32's range
    /// (<c>1e300</c>) or below its smallest value (<c>1e-50</c>) would otherwise reach the checks as
    /// infinity or 0 and be reported as a value the user never typed. NaN and infinity, written
    /// out, go on to the option's own check, which names them.
    /// </summary>
    internal static Option<float?> Float(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(" ", result.Tokens.Select(t => t.Value));
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                result.AddError($"{name} must be a number, got '{text}'");
                return null;
            }
            float single = (float)value;
            if (double.IsFinite(value) && !float.IsFinite(single))
                result.AddError($"{name} {text} is beyond the range of float32 (about 3.4e38), in which the engine computes");
            else if (value != 0 && single == 0)
                result.AddError($"{name} {text} is below the smallest float32 (about 1.4e-45), in which the engine computes: it would be 0");
            return single;
        },
    };

    /// <summary>Runs a command's body, turning any error into one short line and exit code 1 (see <see cref="ErrorReport"/>).</summary>
    internal static int Guard(TextWriter errors, Func<int> body) => ErrorReport.Guard(errors, body);

    /// <summary>Opens the device named by the option or the environment.</summary>
    internal static ComputeDevice OpenDevice(string? spec) => spec is null ? ComputeDevice.OpenDefault() : ComputeDevice.Open(spec);
}
