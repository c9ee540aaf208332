using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using TorchSharp;
using static TorchSharp.torch;

// LibTorch on the CPU (two threads, as the machine has), on the shapes the engine's benchmarks use,
// so their times can be read side by side as ratios.
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(6).WithId("InProcess"))
    .AddColumn(StatisticColumn.Min)
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(PeerBenchmarks).Assembly).Run(args, config);

/// <summary>GEMM, 3x3 convolution and the digits-style training step in LibTorch.</summary>
public class PeerBenchmarks
{
    private Tensor _a = null!, _b = null!, _x = null!, _w = null!, _bias = null!, _xs = null!;
    private nn.Module<Tensor, Tensor> _net = null!;
    private optim.Optimizer _adam = null!;
    private Tensor _images = null!, _labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Environment.ProcessorCount);
        _a = torch.full(1024, 1024, 0.5f);
        _b = torch.full(1024, 1024, 0.25f);
        _x = torch.full(8, 64, 56, 56, 0.5f).requires_grad_(true);
        _w = torch.full(64, 64, 3, 3, 0.01f).requires_grad_(true);
        _bias = torch.zeros(64).requires_grad_(true);
        _net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding: 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding: 1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 10));
        _adam = optim.Adam(_net.parameters());
        _images = torch.full(32, 1, 28, 28, 0.5f);
        _labels = torch.zeros(32, dtype: ScalarType.Int64);
        _xs = _x.detach();
    }

    [Benchmark(Description = "GEMM 1024^3")]
    public void Gemm()
    {
        using var c = torch.mm(_a, _b);
    }

    [Benchmark(Description = "conv3x3 fwd")]
    public void ConvForward()
    {
        using var _ = torch.no_grad();
        using var y = nn.functional.conv2d(_xs, _w.detach(), _bias.detach(), padding: [1, 1]);
    }

    [Benchmark(Description = "conv3x3 fwd+bwd")]
    public void ConvForwardBackward()
    {
        using var scope = torch.NewDisposeScope();
        var y = nn.functional.conv2d(_x, _w, _bias, padding: [1, 1]);
        y.backward([y.detach()]);
        _x.grad?.zero_();
        _w.grad?.zero_();
        _bias.grad?.zero_();
    }

    [Benchmark(Description = "train step convnet-28")]
    public void TrainStep()
    {
        using var scope = torch.NewDisposeScope();
        _adam.zero_grad();
        var loss = nn.functional.cross_entropy(_net.call(_images), _labels);
        loss.backward();
        _adam.step();
    }
}
