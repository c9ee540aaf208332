using BenchmarkDotNet.Attributes;
using Engine.Bench.Cases;
using Engine.Bench.Infrastructure;
using Engine.Devices;
using Engine.Graph;
using Engine.Modules;

namespace Engine.Bench.Training;

/// <summary>One inference batch (evaluation mode, forward only) of a compiled graph, per device; the VAE decodes its posterior means.</summary>
public class InferenceBenchmarks
{
    private ComputeDevice _device = null!;
    private Module _model = null!;
    private CompiledGraph _plan = null!;

    /// <summary>Device spec.</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Model and size.</summary>
    [ParamsSource(nameof(Cases))]
    public ModelCase Case { get; set; } = null!;

    public static IEnumerable<string> Devices() => BenchDevices.Specs();

    public static IEnumerable<ModelCase> Cases() => ModelCase.Inference();

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Open(Device);
        _model = EngineModels.Create(Case);
        _model.Initialize(_device, seed: 1);
        var g = new GraphBuilder(_device, training: false);
        var x = g.Input("x", Case.Batch, Case.Channels, Case.Size, Case.Size);
        var output = _model.Call(x);
        _plan = g.CompileInference(output);
        Engine.Ops.TensorOps.Fill(_plan.Value(x), 0.5f);
        Forward();
    }

    [Benchmark]
    public void Forward()
    {
        _plan.Forward();
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plan.Dispose();
        _model.Release();
        _device.Dispose();
    }
}
