using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace Engine.Bench.Peer;

/// <summary>LibTorch's max pooling with indices, max unpooling, bilinear upsampling and batch normalisation on the engine suite's shapes, forward and backward.</summary>
public class ResampleBenchmarks
{
    private Tensor _x = null!, _small = null!, _pooled = null!, _indices = null!, _gamma = null!, _beta = null!, _runningMean = null!, _runningVar = null!;

    [GlobalSetup]
    public void Setup()
    {
        _x = full(8, 64, 56, 56, 1f).requires_grad_(true);
        _small = full(8, 64, 28, 28, 1f).requires_grad_(true);
        using (no_grad())
        {
            var (pooled, indices) = nn.functional.max_pool2d_with_indices(_x, [2, 2]);
            _pooled = pooled.detach().requires_grad_(true);
            _indices = indices;
        }
        _gamma = ones(64).requires_grad_(true);
        _beta = zeros(64).requires_grad_(true);
        _runningMean = zeros(64);
        _runningVar = ones(64);
        MaxPool();
        MaxUnpool();
        Bilinear();
        BatchNorm();
    }

    [Benchmark]
    public void MaxPool()
    {
        using var scope = NewDisposeScope();
        var (y, _) = nn.functional.max_pool2d_with_indices(_x, [2, 2]);
        y.backward([y.detach()]);
        _x.grad?.zero_();
    }

    [Benchmark]
    public void MaxUnpool()
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.max_unpool2d(_pooled, _indices, [56, 56]);
        y.backward([y.detach()]);
        _pooled.grad?.zero_();
    }

    [Benchmark]
    public void Bilinear()
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.interpolate(_small, scale_factor: [2, 2], mode: InterpolationMode.Bilinear, align_corners: false);
        y.backward([y.detach()]);
        _small.grad?.zero_();
    }

    [Benchmark]
    public void BatchNorm()
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.batch_norm(_x, _runningMean, _runningVar, _gamma, _beta, training: true);
        y.backward([y.detach()]);
        _x.grad?.zero_();
        _gamma.grad?.zero_();
        _beta.grad?.zero_();
    }
}
