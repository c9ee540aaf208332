using Engine.Bench.Cases;
using BenchmarkDotNet.Attributes;
using Engine.Bench.Infrastructure;
using Engine.Devices;
using Engine.Ops;
using Engine.Tensors;

namespace Engine.Bench.Blas;

/// <summary>GEMM throughput per device and shape, with the device's automatic kernel choice.</summary>
public class GemmBenchmarks
{
    private ComputeDevice _device = null!;
    private Tensor _a = null!, _b = null!, _c = null!;

    /// <summary>Device spec.</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Problem shape.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    public static IEnumerable<string> Devices() => BenchDevices.Specs();

    public static IEnumerable<GemmShape> Shapes() => GemmShape.All();

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Open(Device);
        var s = Shape;
        int batchA = s.BroadcastA ? 1 : s.Batch;
        _a = Tensor.Full(_device, 0.5f, s.TransposeA ? [batchA, s.K, s.M] : [batchA, s.M, s.K]);
        _b = Tensor.Full(_device, 0.25f, s.TransposeB ? [s.Batch, s.N, s.K] : [s.Batch, s.K, s.N]);
        _c = Tensor.Zeros(_device, s.Batch, s.M, s.N);
        Gemm(); // loads and compiles the kernel outside the measurement
    }

    [Benchmark]
    public void Gemm()
    {
        Engine.Ops.Blas.Gemm(_a, _b, _c, Shape.TransposeA, Shape.TransposeB);
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
        _device.Dispose();
    }
}
