using System.Globalization;
using Engine.Bench.Cases;
using TorchSharp;
using static TorchSharp.torch;

namespace Engine.Bench.Peer;

/// <summary>
/// The peak memory of one training step per case, measured as the engine's suite measures it
/// (<see cref="PeakMemory"/>): LibTorch is loaded and warmed by a step of the same model at batch 1
/// first; then the model, optimiser and two steps run inside the measurement.
/// </summary>
internal static class PeakMemoryReport
{
    public static void Print(string name)
    {
        var c = ModelCase.Training().Single(m => m.Name == name);
        Run(c with { Batch = 1 }, steps: 1);
        long bytes = PeakMemory.Of(() => Run(c, steps: 2));
        Console.WriteLine($"{c.Name}\t{bytes.ToString(CultureInfo.InvariantCulture)}");
    }

    private static void Run(ModelCase c, int steps)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var model = PeerModels.Create(c);
        var adam = optim.Adam(model.parameters());
        var x = full(c.Batch, c.Channels, c.Size, c.Size, 0.5f);
        for (int i = 0; i < steps; i++)
        {
            using var step = NewDisposeScope();
            adam.zero_grad();
            PeerModels.Loss(model, c, x).backward();
            adam.step();
        }
        model.Dispose();
    }
}
