using System.Globalization;
using Engine.Bench.Cases;
using Engine.Bench.Infrastructure;
using Engine.Devices;
using Engine.Graph;
using Engine.Optim;

namespace Engine.Bench.Training;

/// <summary>
/// The peak memory of one training step of each case, measured the way the peer measures it
/// (<see cref="PeakMemory"/>): a fresh device, the model, graph and optimiser built, one warm-up
/// step, then the peak of a second step, caches included, with everything built counted.
/// </summary>
internal static class PeakMemoryReport
{
    public static void Print(string name)
    {
        string spec = BenchDevices.Specs().First();
        var c = ModelCase.Training().Single(m => m.Name == name);
        {
            long bytes = PeakMemory.Of(() =>
            {
                using var device = ComputeDevice.Open(spec);
                var model = EngineModels.Create(c);
                model.Initialize(device, seed: 1);
                var g = new GraphBuilder(device);
                var (loss, x, _) = EngineModels.TrainingGraph(g, model, c);
                using var step = g.Compile(loss);
                Engine.Ops.TensorOps.Fill(step.Value(x), 0.5f);
                using var optimizer = new Adam(model.NamedParameters().Select(p => p.Parameter));
                for (int i = 0; i < 2; i++)
                {
                    optimizer.ZeroGrad();
                    step.Forward();
                    step.Backward();
                    optimizer.Step();
                }
                device.Synchronize();
                model.Release();
            });
            Console.WriteLine($"{c.Name}\t{bytes.ToString(CultureInfo.InvariantCulture)}");
        }
    }
}
