using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Engine.Bench.Cases;
using Engine.Bench.Infrastructure;
using Engine.Devices;
using Engine.Graph;

namespace Engine.Bench.Training;

/// <summary>One training step (zero grads, forward, backward, Adam) of a compiled graph, per device.</summary>
public class TrainingStepBenchmarks
{
    /// <summary>Planned and naive bytes of each compiled case, filled at setup, read by <see cref="MemoryColumn"/>.</summary>
    internal static readonly ConcurrentDictionary<string, MemoryPlan> Plans = new();

    private ComputeDevice _device = null!;
    private TrainingStep _step = null!;

    /// <summary>Device spec.</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Model and size.</summary>
    [ParamsSource(nameof(Cases))]
    public ModelCase Case { get; set; } = null!;

    public static IEnumerable<string> Devices() => BenchDevices.Specs();

    public static IEnumerable<ModelCase> Cases() => ModelCase.Training();

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Open(Device);
        _step = new TrainingStep(_device, Case);
        Plans[Case.Name] = _step.Plan;
        Step();
    }

    [Benchmark]
    public void Step() => _step.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _step.Dispose();
        _device.Dispose();
    }
}
