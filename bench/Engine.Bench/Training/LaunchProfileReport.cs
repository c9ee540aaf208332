using Engine.Bench.Cases;
using Engine.Bench.Infrastructure;
using Engine.Devices;

namespace Engine.Bench.Training;

/// <summary>
/// The launch profile (<see cref="LaunchProfile"/>) of one training step of a case, as the step
/// runs in training: the batch uploaded from the host, forward, backward, the optimiser, one wait
/// at the end. A first step loads the kernels and fills the buffer cache; the second is profiled.
/// <c>--dry</c> counts the launches without running them, so a step too large for a slow device can
/// be profiled there; the launch sequence does not depend on the data.
/// </summary>
internal static class LaunchProfileReport
{
    public static void Print(string name, bool dry)
    {
        var c = ModelCase.Profiled().Concat(ModelCase.Training()).First(m => m.Name == name);
        string spec = BenchDevices.Specs().First();
        using var device = ComputeDevice.Open(spec);
        using var step = new TrainingStep(device, c);
        var profile = device.StartProfile(executeLaunches: !dry);
        step.Upload();
        step.Run();
        profile.Clear();
        step.Upload();
        step.Run();
        Console.WriteLine($"{c.Name} on {device.Info.Spec}{(dry ? " (dry run)" : "")}, GEMM {device.Paths.Gemm}, one training step:");
        Console.Write(profile.Report().Format(topKernels: 40));
    }
}
