using BenchmarkDotNet.Attributes;
using Engine.Bench.Infrastructure;
using Engine.Devices;
using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;
using Engine.Tensors;

namespace Engine.Bench.Pooling;

/// <summary>
/// Max pooling with indices, max unpooling, bilinear upsampling and batch normalisation (training
/// statistics) on <c>[8, 64, 56, 56]</c> (bilinear: 28x28 doubled), each forward and backward.
/// </summary>
public class ResampleBenchmarks
{
    private ComputeDevice _device = null!;
    private Tensor _x = null!, _pooled = null!, _dx = null!, _unpooled = null!, _up = null!, _small = null!, _dSmall = null!;
    private Tensor _normalized = null!, _gamma = null!, _beta = null!, _runningMean = null!, _runningVar = null!, _mean = null!, _invStd = null!, _dGamma = null!, _dBeta = null!;
    private IntTensor _indices = null!;
    private Pool2dSpec _pool = null!;
    private MaxUnpool2dSpec _unpool = null!;
    private InterpolateSpec _bilinear = null!;

    /// <summary>Device spec.</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    public static IEnumerable<string> Devices() => BenchDevices.Specs();

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Open(Device);
        _x = Tensor.Full(_device, 1f, 8, 64, 56, 56);
        _pool = Pool2dSpec.Create("MaxPool2d", _x.Shape, 2, null, 0, 1, false);
        _pooled = Tensor.Zeros(_device, _pool.OutputShape);
        _indices = IntTensor.Zeros(_device, _pool.OutputShape.ToArray());
        _dx = Tensor.Zeros(_device, _x.Shape);
        _unpool = MaxUnpool2dSpec.Create(_pooled.Shape, _indices.Shape, 2, null, 0, null);
        _unpooled = Tensor.Zeros(_device, _unpool.OutputShape);
        _small = Tensor.Full(_device, 1f, 8, 64, 28, 28);
        _dSmall = Tensor.Zeros(_device, _small.Shape);
        _bilinear = InterpolateSpec.Create(_small.Shape, null, (2, 2), InterpolationMode.Bilinear, false);
        _up = Tensor.Zeros(_device, _bilinear.OutputShape);
        _normalized = Tensor.Zeros(_device, _x.Shape);
        _gamma = Tensor.Full(_device, 1f, 64);
        _beta = Tensor.Zeros(_device, 64);
        _runningMean = Tensor.Zeros(_device, 64);
        _runningVar = Tensor.Full(_device, 1f, 64);
        _mean = Tensor.Zeros(_device, 64);
        _invStd = Tensor.Zeros(_device, 64);
        _dGamma = Tensor.Zeros(_device, 64);
        _dBeta = Tensor.Zeros(_device, 64);
        MaxPool();
        MaxUnpool();
        Bilinear();
        BatchNorm();
    }

    [Benchmark]
    public void MaxPool()
    {
        MaxPool2dOp.Forward(_pool, _x, _pooled, _indices);
        MaxPool2dOp.Backward(_pool, _pooled, _indices, _dx);
        _device.Synchronize();
    }

    [Benchmark]
    public void MaxUnpool()
    {
        MaxUnpool2dOp.Forward(_unpool, _pooled, _indices, _unpooled);
        MaxUnpool2dOp.Backward(_unpool, _unpooled, _indices, _pooled);
        _device.Synchronize();
    }

    [Benchmark]
    public void Bilinear()
    {
        InterpolateOp.Forward(_bilinear, _small, _up);
        InterpolateOp.Backward(_bilinear, _up, _dSmall);
        _device.Synchronize();
    }

    [Benchmark]
    public void BatchNorm()
    {
        Engine.Ops.Normalization.BatchNorm2dOp.Forward(_x, _normalized, _gamma, _beta, _runningMean, _runningVar, _mean, _invStd, training: true);
        Engine.Ops.Normalization.BatchNorm2dOp.Backward(_x, _normalized, _gamma, _mean, _invStd, training: true, _dx, _dGamma, _dBeta);
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _x, _pooled, _dx, _unpooled, _up, _small, _dSmall, _normalized, _gamma, _beta, _runningMean, _runningVar, _mean, _invStd, _dGamma, _dBeta })
            t.Dispose();
        _indices.Dispose();
        _device.Dispose();
    }
}
