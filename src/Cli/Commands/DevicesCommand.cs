using System.CommandLine;
using Engine.Devices;

namespace Engine.Cli.Commands;

/// <summary><c>devices</c>: what ILGPU sees, and what would be chosen.</summary>
internal static class DevicesCommand
{
    internal static Command Create()
    {
        var command = new Command("devices", "List the accelerators present and the one that would be chosen.");
        command.SetAction(_ =>
        {
            var devices = ComputeDevice.Enumerate();
            Console.WriteLine("Devices present:");
            foreach (var device in devices)
                Console.WriteLine($"  {device}");
            try
            {
                var spec = DeviceSpec.FromEnvironment();
                var chosen = ComputeDevice.Resolve(spec);
                string source = spec.IsAuto ? "automatic choice" : $"{DeviceSpec.EnvironmentVariable}={spec}";
                Console.WriteLine($"Chosen ({source}): {chosen.Spec}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or DeviceNotFoundException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
