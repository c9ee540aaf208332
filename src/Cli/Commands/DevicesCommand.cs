using System.CommandLine;
using Engine.Devices;

namespace Engine.Cli.Commands;

/// <summary><c>devices</c>: what ILGPU sees, and what would be chosen.</summary>
internal static class DevicesCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var command = new Command("devices", "List the accelerators present and the one that would be chosen.");
        command.SetAction(_ => ErrorReport.Guard(errors, () =>
        {
            var devices = ComputeDevice.Enumerate();
            output.WriteLine("Devices present:");
            foreach (var device in devices)
                output.WriteLine($"  {device}");
            var spec = DeviceSpec.FromEnvironment();
            var chosen = ComputeDevice.Resolve(spec);
            string source = spec.IsAuto ? "automatic choice" : $"{DeviceSpec.EnvironmentVariable}={spec}";
            output.WriteLine($"Chosen ({source}): {chosen.Spec}");
            return 0;
        }));
        return command;
    }
}
