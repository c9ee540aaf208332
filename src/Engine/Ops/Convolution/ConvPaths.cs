using Engine.Devices;
using Engine.Kernels.Convolution;
using ILGPU;

namespace Engine.Ops.Convolution;

/// <summary>
/// The convolution ops' one door to their three paths: each call asks the device once which path
/// convolutions take (<see cref="ExecutionPaths.Convolution"/>) and calls that path alone: host code
/// (<see cref="HostConvolution"/>), im2col and the device's GEMM (<see cref="ConvCore"/>), or
/// implicit GEMM (<see cref="ImplicitConvolution"/>, with a strided input gradient as im2col's GEMM +
/// col2im). The paths never call each other. The workspace methods mirror the same choices.
/// x <c>[N, Cin, H, W]</c>, w <c>[Cout, CinG, KH, KW]</c>, y and dy <c>[N, Cout, OutH, OutW]</c>.
/// </summary>
internal static class ConvPaths
{
    /// <summary>
    /// <c>y = conv(x, w)</c>. Implicit GEMM adds <paramref name="bias"/> (and writes
    /// <c>activated = relu(y)</c> when given) in the product's epilogue and returns true; the other
    /// paths leave both to the caller and return false.
    /// </summary>
    internal static bool Forward(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> w,
        ArrayView<float>? bias, ArrayView<float> y, ArrayView<float>? activated)
    {
        switch (device.Paths.Convolution)
        {
            case ConvolutionPath.Implicit:
                ImplicitConvolution.Forward(device, g, x, w, bias, y, activated);
                return true;
            case ConvolutionPath.Host:
                device.Synchronize(); // kernels queued before must have written x and w
                HostConvolution.Forward(device, g, x, w, y);
                return false;
            default:
                ConvCore.Forward(device, g, x, w, y);
                return false;
        }
    }

    /// <summary><c>dx (+)= conv_input_grad(w, dy)</c>.</summary>
    internal static void InputGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> w, ArrayView<float> dy, ArrayView<float> dx, bool accumulate)
    {
        var path = device.Paths.Convolution;
        if (path == ConvolutionPath.Implicit && !ConvReluFusion.IsStrided(g))
            ImplicitConvolution.InputGradient(device, g, w, dy, dx, accumulate);
        else if (path == ConvolutionPath.Host)
        {
            device.Synchronize();
            HostConvolution.InputGradient(device, g, w, dy, dx, accumulate);
        }
        else
        {
            if (path == ConvolutionPath.Implicit)
                ImplicitConvolution.CheckOffsets(g); // refused on this path whichever product runs
            ConvCore.InputGradient(device, g, w, dy, dx, accumulate);
        }
    }

    /// <summary><c>dw (+)= sum_n dy[n, g] columns(x[n, g])^T</c>.</summary>
    internal static void WeightGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, bool accumulate)
    {
        switch (device.Paths.Convolution)
        {
            case ConvolutionPath.Implicit:
                ImplicitConvolution.WeightGradient(device, g, x, dy, dw, accumulate);
                break;
            case ConvolutionPath.Host:
                device.Synchronize();
                HostConvolution.WeightGradient(device, g, x, dy, dw, accumulate);
                break;
            default:
                ConvCore.WeightGradient(device, g, x, dy, dw, accumulate);
                break;
        }
    }

    /// <summary>
    /// The gradients <paramref name="request"/> asks for, the bias gradient included (with or without
    /// the weight gradient). Implicit GEMM computes dx and dw (the bias gradient as dw's last column) in
    /// one launch, through the ReLU when the request carries its input (only where
    /// <see cref="ConvReluFusion.TakesReluBackward"/> allows); a strided dx there runs first as GEMM +
    /// col2im. The other paths take the three gradients one by one.
    /// </summary>
    internal static void Backward(ComputeDevice device, in ConvGeometry g, in ConvBackwardRequest request)
    {
        var path = device.Paths.Convolution;
        var (dy, dx, dw, db) = (request.Dy, request.Dx, request.Dw, request.Db);
        if (path == ConvolutionPath.Implicit && (dx is not null || dw is not null))
        {
            var gathered = request with { Db = dw is null ? null : db };
            if (dx is { } strided && ConvReluFusion.IsStrided(g))
            {
                ImplicitConvolution.CheckOffsets(g);
                ConvCore.InputGradient(device, g, request.W!.Value, dy, strided, request.AccumulateInput);
                gathered = gathered with { Dx = null };
            }
            if (gathered.Dx is not null || gathered.Dw is not null)
                ImplicitConvolution.Backward(device, g, gathered);
            if (db is { } biasOnly && dw is null)
                ConvCore.BiasGradient(device, dy, biasOnly, g.N, g.OutChannels, g.OutH * g.OutW, request.AccumulateWeights);
            return;
        }
        if (dx is { } input)
            InputGradient(device, g, request.W!.Value, dy, input, request.AccumulateInput);
        if (dw is { } weights)
            WeightGradient(device, g, request.X, dy, weights, request.AccumulateWeights);
        if (db is { } bias)
            ConvCore.BiasGradient(device, dy, bias, g.N, g.OutChannels, g.OutH * g.OutW, request.AccumulateWeights);
    }

    /// <summary>Bytes <see cref="Forward"/> allocates for a while beyond its output on <paramref name="device"/>.</summary>
    internal static long ForwardWorkspace(ComputeDevice device, in ConvGeometry g) => device.Paths.Convolution switch
    {
        ConvolutionPath.Implicit => 0,
        ConvolutionPath.Host => HostConvolution.ForwardWorkspace(g),
        _ => ConvCore.ForwardWorkspace(g),
    };

    /// <summary>Bytes <see cref="InputGradient"/> allocates for a while on <paramref name="device"/>.</summary>
    internal static long InputGradientWorkspace(ComputeDevice device, in ConvGeometry g) => device.Paths.Convolution switch
    {
        ConvolutionPath.Implicit when !ConvReluFusion.IsStrided(g) => ImplicitConvolution.BackwardWorkspace(g, dx: true, dw: false, db: false, outputBias: false),
        ConvolutionPath.Host => HostConvolution.InputGradientWorkspace(g),
        _ => ConvCore.InputGradientWorkspace(g),
    };

    /// <summary>Bytes <see cref="WeightGradient"/> allocates for a while on <paramref name="device"/>.</summary>
    internal static long WeightGradientWorkspace(ComputeDevice device, in ConvGeometry g) => device.Paths.Convolution switch
    {
        ConvolutionPath.Implicit => ImplicitConvolution.BackwardWorkspace(g, dx: false, dw: true, db: false, outputBias: false),
        ConvolutionPath.Host => HostConvolution.WeightGradientWorkspace(g),
        _ => ConvCore.WeightGradientWorkspace(g),
    };

    /// <summary>Bytes <see cref="Backward"/> holds at once for the gradients asked for (<paramref name="dx"/>, <paramref name="dw"/>, <paramref name="db"/>), mirroring its paths.</summary>
    internal static long BackwardWorkspace(ComputeDevice device, in ConvGeometry g, bool dx, bool dw, bool db)
    {
        long bias = db ? ConvCore.BiasGradientWorkspace(g.N, g.OutChannels, g.OutH * g.OutW) : 0;
        if (device.Paths.Convolution == ConvolutionPath.Implicit && (dx || dw))
        {
            // A strided dx's columns are freed before the gathered products' partial results are taken.
            bool strided = dx && ConvReluFusion.IsStrided(g);
            long columns = strided ? ConvCore.InputGradientWorkspace(g) : 0;
            long products = ImplicitConvolution.BackwardWorkspace(g, dx && !strided, dw, dw && db, outputBias: false);
            return Math.Max(Math.Max(columns, products), dw ? 0 : bias);
        }
        return Math.Max(Math.Max(dx ? InputGradientWorkspace(device, g) : 0, dw ? WeightGradientWorkspace(device, g) : 0), bias);
    }
}
