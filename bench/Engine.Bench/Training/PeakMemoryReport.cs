using System.Globalization;
using Engine.Bench.Cases;
using Engine.Bench.Infrastructure;
using Engine.Devices;

namespace Engine.Bench.Training;

/// <summary>
/// The peak memory of one training step of each case, measured the way the peer measures it
/// (<see cref="PeakMemory"/>). What a process pays once whatever it trains (the device, ILGPU's
/// context and compiled kernels) is set up first by a warm-up step of the same model at batch 1;
/// then the model, graph and optimiser are built and two steps run inside the measurement, so the
/// parameters, gradients, Adam's moments, activations and workspaces all count.
/// </summary>
internal static class PeakMemoryReport
{
    public static void Print(string name)
    {
        string spec = BenchDevices.Specs().First();
        var c = ModelCase.Training().Single(m => m.Name == name);
        using var device = ComputeDevice.Open(spec);
        Run(device, c with { Batch = 1 }, steps: 1);
        device.ReleaseCachedMemory(); // the measured step allocates afresh, as LibTorch's does
        long bytes = PeakMemory.Of(() => Run(device, c, steps: 2));
        Console.WriteLine($"{c.Name}\t{bytes.ToString(CultureInfo.InvariantCulture)}");
    }

    private static void Run(ComputeDevice device, ModelCase c, int steps)
    {
        using var step = new TrainingStep(device, c);
        for (int i = 0; i < steps; i++)
            step.Run();
    }
}
