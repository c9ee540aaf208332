using Engine.Bench.Cases;
using BenchmarkDotNet.Attributes;
using Engine.Bench.Infrastructure;
using Engine.Devices;
using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine.Bench.Convolution;

/// <summary>
/// Convolution forward, and forward + backward (input, weight and bias gradients), per device.
/// The GFLOP/s column counts the forward pass only; forward + backward does three times that work,
/// so its GFLOP/s column reads a third of its real rate.
/// </summary>
public class ConvBenchmarks
{
    private ComputeDevice _device = null!;
    private Tensor _x = null!, _w = null!, _b = null!, _y = null!, _dx = null!, _dw = null!, _db = null!;
    private Conv2dSpec? _conv;
    private ConvTranspose2dSpec? _transposed;

    /// <summary>Device spec.</summary>
    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    /// <summary>Layer.</summary>
    [ParamsSource(nameof(Cases))]
    public ConvCase Case { get; set; } = null!;

    public static IEnumerable<string> Devices() => BenchDevices.Specs();

    public static IEnumerable<ConvCase> Cases() => ConvCase.All();

    [GlobalSetup]
    public void Setup()
    {
        var c = Case;
        _device = ComputeDevice.Open(Device);
        _x = Tensor.Full(_device, 0.5f, c.N, c.Cin, c.H, c.W);
        _w = Tensor.Full(_device, 0.01f, c.Transposed ? [c.Cin, c.Cout, c.K, c.K] : [c.Cout, c.Cin, c.K, c.K]);
        _b = Tensor.Zeros(_device, c.Cout);
        if (c.Transposed)
            _transposed = ConvTranspose2dSpec.Create(_x.Shape, _w.Shape, c.Stride, c.Padding, 0, c.Dilation, 1);
        else
            _conv = Conv2dSpec.Create(_x.Shape, _w.Shape, c.Stride, c.Padding, c.Dilation, 1);
        _y = Tensor.Zeros(_device, _conv?.OutputShape ?? _transposed!.OutputShape);
        _dx = Tensor.Zeros(_device, _x.Shape);
        _dw = Tensor.Zeros(_device, _w.Shape);
        _db = Tensor.Zeros(_device, c.Cout);
        ForwardBackward(); // load every kernel outside the measurement
    }

    [Benchmark]
    public void Forward()
    {
        if (_conv is not null)
            Conv2dOp.Forward(_conv, _x, _w, _b, _y);
        else
            ConvTranspose2dOp.Forward(_transposed!, _x, _w, _b, _y);
        _device.Synchronize();
    }

    [Benchmark]
    public void ForwardBackward()
    {
        if (_conv is not null)
        {
            Conv2dOp.Forward(_conv, _x, _w, _b, _y);
            Conv2dOp.Backward(_conv, _y, _x, _w, _dx, _dw, _db);
        }
        else
        {
            ConvTranspose2dOp.Forward(_transposed!, _x, _w, _b, _y);
            ConvTranspose2dOp.Backward(_transposed!, _y, _x, _w, _dx, _dw, _db);
        }
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _x, _w, _b, _y, _dx, _dw, _db })
            t.Dispose();
        _device.Dispose();
    }
}
