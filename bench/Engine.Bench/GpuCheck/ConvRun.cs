using Engine.Ops.Convolution;
using Engine.Tensors;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// A convolution layer, as the suite's ConvBenchmarks runs it: forward, then forward + backward
/// (input, weight and bias gradients, counted as 3x the forward FLOPs), inputs 0.5, weights 0.01.
/// </summary>
internal static class ConvRun
{
    public static void Run(CheckContext context, GpuCheckCase @case)
    {
        var c = @case.Conv!;
        var device = context.Device;
        using var x = Tensor.Full(device, 0.5f, c.N, c.Cin, c.H, c.W);
        using var w = Tensor.Full(device, 0.01f, c.Transposed ? [c.Cin, c.Cout, c.K, c.K] : [c.Cout, c.Cin, c.K, c.K]);
        using var b = Tensor.Zeros(device, c.Cout);
        var conv = c.Transposed ? null : Conv2dSpec.Create(x.Shape, w.Shape, c.Stride, c.Padding, c.Dilation, 1);
        var transposed = c.Transposed ? ConvTranspose2dSpec.Create(x.Shape, w.Shape, c.Stride, c.Padding, 0, c.Dilation, 1) : null;
        using var y = Tensor.Zeros(device, conv?.OutputShape ?? transposed!.OutputShape);
        using var dx = Tensor.Zeros(device, x.Shape);
        using var dw = Tensor.Zeros(device, w.Shape);
        using var db = Tensor.Zeros(device, c.Cout);

        void Forward()
        {
            if (conv is not null)
                Conv2dOp.Forward(conv, x, w, b, y);
            else
                ConvTranspose2dOp.Forward(transposed!, x, w, b, y);
        }

        void Backward()
        {
            if (conv is not null)
                Conv2dOp.Backward(conv, y, x, w, dx, dw, db);
            else
                ConvTranspose2dOp.Backward(transposed!, y, x, w, dx, dw, db);
        }

        Measure(context, c.Name, "forward", c.Flops, Forward);
        Measure(context, c.Name, "forward+backward", 3 * c.Flops, () =>
        {
            Forward();
            Backward();
        });
    }

    private static void Measure(CheckContext context, string name, string pass, double flops, Action run)
    {
        var (ms, _) = context.Timer.Measure(run, context.Device.Synchronize, context.Deadline);
        double gflops = flops / (ms * 1e6);
        context.Log.Row(new ResultRow("engine", "conv", name, pass, ms, gflops, "GFLOP/s", context.Note(name, pass, gflops, "GFLOP/s")));
    }
}
