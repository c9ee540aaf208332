using BenchmarkDotNet.Attributes;
using Engine.Bench.Cases;
using TorchSharp;
using static TorchSharp.torch;

namespace Engine.Bench.Peer;

/// <summary>LibTorch's convolution layers of the engine suite: forward, and forward + backward (input, weight and bias gradients).</summary>
public class ConvBenchmarks
{
    private Tensor _x = null!, _w = null!, _b = null!;

    /// <summary>Layer.</summary>
    [ParamsSource(nameof(Cases))]
    public ConvCase Case { get; set; } = null!;

    public static IEnumerable<ConvCase> Cases() => ConvCase.All();

    [GlobalSetup]
    public void Setup()
    {
        var c = Case;
        _x = full(c.N, c.Cin, c.H, c.W, 0.5f).requires_grad_(true);
        _w = full(c.Transposed ? [c.Cin, c.Cout, c.K, c.K] : new long[] { c.Cout, c.Cin, c.K, c.K }, 0.01f).requires_grad_(true);
        _b = zeros(c.Cout).requires_grad_(true);
        ForwardBackward();
    }

    private Tensor Apply(Tensor x, Tensor w, Tensor b) => Case.Transposed
        ? nn.functional.conv_transpose2d(x, w, b, strides: [Case.Stride, Case.Stride], padding: [Case.Padding, Case.Padding], dilation: [Case.Dilation, Case.Dilation])
        : nn.functional.conv2d(x, w, b, strides: [Case.Stride, Case.Stride], padding: [Case.Padding, Case.Padding], dilation: [Case.Dilation, Case.Dilation]);

    [Benchmark]
    public void Forward()
    {
        using var noGrad = no_grad();
        using var y = Apply(_x.detach(), _w.detach(), _b.detach());
    }

    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = NewDisposeScope();
        var y = Apply(_x, _w, _b);
        y.backward([y.detach()]);
        _x.grad?.zero_();
        _w.grad?.zero_();
        _b.grad?.zero_();
    }
}
