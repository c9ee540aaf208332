using Engine.Bench.Cases;
using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Optim;
using Engine.Tensors;

namespace Engine.Bench.Training;

/// <summary>
/// One case's training step, as both the step benchmark and the peak-memory report run it: the
/// model initialised with seed 1, its training graph compiled, inputs 0.5 and targets 0 (uploaded
/// once; <see cref="Upload"/> again for a step as training runs it), Adam; <see cref="Run"/> zeroes
/// the gradients, runs forward and backward and steps the optimiser.
/// </summary>
internal sealed class TrainingStep : IDisposable
{
    private readonly ComputeDevice _device;
    private readonly Module _model;
    private readonly CompiledGraph _graph;
    private readonly Adam _optimizer;
    private readonly Node _x;
    private readonly Node? _y;
    private readonly PinnedBuffer<float> _images;
    private readonly PinnedBuffer<int>? _targets;

    public TrainingStep(ComputeDevice device, ModelCase c)
    {
        _device = device;
        _model = EngineModels.Create(c);
        _model.Initialize(device, seed: 1);
        var g = new GraphBuilder(device);
        var (loss, x, y) = EngineModels.TrainingGraph(g, _model, c);
        _graph = g.Compile(loss);
        (_x, _y) = (x, y);
        _images = device.AllocatePinned<float>(_graph.Value(x).Numel);
        _images.Span.Fill(0.5f);
        _targets = y is null ? null : device.AllocatePinned<int>(_graph.IntValue(y).Numel);
        _targets?.Span.Clear();
        Upload();
        _optimizer = new Adam(_model.NamedParameters().Select(p => p.Parameter));
    }

    /// <summary>Queues the batch's upload (inputs 0.5, targets 0) from page-locked host memory, as a training loop does every step.</summary>
    public void Upload()
    {
        _graph.Value(_x).UploadAsync(_images);
        if (_y is not null)
            _graph.IntValue(_y).UploadAsync(_targets!);
    }

    /// <summary>The compiled graph's memory plan.</summary>
    public MemoryPlan Plan => _graph.Plan;

    /// <summary>One step, waited for.</summary>
    public void Run()
    {
        _optimizer.ZeroGrad();
        _graph.Forward();
        _graph.Backward();
        _optimizer.Step();
        _device.Synchronize();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _graph.Dispose();
        _images.Dispose();
        _targets?.Dispose();
        _model.Release();
    }
}
