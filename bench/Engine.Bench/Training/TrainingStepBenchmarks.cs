using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Engine.Bench.Cases;
using Engine.Bench.Infrastructure;
using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Optim;

namespace Engine.Bench.Training;

/// <summary>One training step (zero grads, forward, backward, Adam) of a compiled graph, per device.</summary>
public class TrainingStepBenchmarks
{
    /// <summary>Planned and naive bytes of each compiled case, filled at setup, read by <see cref="MemoryColumn"/>.</summary>
    internal static readonly ConcurrentDictionary<string, MemoryPlan> Plans = new();

    private ComputeDevice _device = null!;
    private Module _model = null!;
    private CompiledGraph _step = null!;
    private Adam _optimizer = null!;

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
        _model = EngineModels.Create(Case);
        _model.Initialize(_device, seed: 1);
        var g = new GraphBuilder(_device);
        var (loss, x, y) = EngineModels.TrainingGraph(g, _model, Case);
        _step = g.Compile(loss);
        Plans[Case.Name] = _step.Plan;
        Engine.Ops.TensorOps.Fill(_step.Value(x), 0.5f);
        if (y is not null)
            _step.IntValue(y).CopyFrom(new int[_step.IntValue(y).Numel]);
        _optimizer = new Adam(_model.NamedParameters().Select(p => p.Parameter));
        Step();
    }

    [Benchmark]
    public void Step()
    {
        _optimizer.ZeroGrad();
        _step.Forward();
        _step.Backward();
        _optimizer.Step();
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _optimizer.Dispose();
        _step.Dispose();
        _model.Release();
        _device.Dispose();
    }
}
