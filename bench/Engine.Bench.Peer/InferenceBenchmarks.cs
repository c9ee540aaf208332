using BenchmarkDotNet.Attributes;
using Engine.Bench.Cases;
using TorchSharp;
using static TorchSharp.torch;

namespace Engine.Bench.Peer;

/// <summary>One inference batch (evaluation mode, no gradients) of each model case in LibTorch.</summary>
public class InferenceBenchmarks
{
    private nn.Module<Tensor, Tensor> _model = null!;
    private Tensor _x = null!;

    /// <summary>Model and size.</summary>
    [ParamsSource(nameof(Cases))]
    public ModelCase Case { get; set; } = null!;

    public static IEnumerable<ModelCase> Cases() => ModelCase.Inference();

    [GlobalSetup]
    public void Setup()
    {
        random.manual_seed(1);
        _model = PeerModels.Create(Case);
        _model.eval();
        _x = full(Case.Batch, Case.Channels, Case.Size, Case.Size, 0.5f);
        Forward();
    }

    [Benchmark]
    public void Forward()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _model.call(_x);
    }
}
