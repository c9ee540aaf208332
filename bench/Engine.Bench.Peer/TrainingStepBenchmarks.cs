using BenchmarkDotNet.Attributes;
using Engine.Bench.Cases;
using TorchSharp;
using static TorchSharp.torch;

namespace Engine.Bench.Peer;

/// <summary>One training step (zero grads, forward, backward, Adam) of each model case in LibTorch.</summary>
public class TrainingStepBenchmarks
{
    private nn.Module<Tensor, Tensor> _model = null!;
    private optim.Optimizer _adam = null!;
    private Tensor _x = null!;

    /// <summary>Model and size.</summary>
    [ParamsSource(nameof(Cases))]
    public ModelCase Case { get; set; } = null!;

    public static IEnumerable<ModelCase> Cases() => ModelCase.Training();

    [GlobalSetup]
    public void Setup()
    {
        random.manual_seed(1);
        _model = PeerModels.Create(Case);
        _adam = optim.Adam(_model.parameters());
        _x = full(Case.Batch, Case.Channels, Case.Size, Case.Size, 0.5f);
        Step();
    }

    [Benchmark]
    public void Step()
    {
        using var scope = NewDisposeScope();
        _adam.zero_grad();
        PeerModels.Loss(_model, Case, _x).backward();
        _adam.step();
    }
}
