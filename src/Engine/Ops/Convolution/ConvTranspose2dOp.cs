using Engine.Devices;
using Engine.Kernels.Convolution;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Convolution;

/// <summary>
/// Transposed convolution by zero-dilation: insert <c>s - 1</c> zeros between input elements,
/// pad <c>d (k - 1) - p</c> on each side (plus output_padding at the bottom and right), then
/// convolve with stride 1 and the kernel flipped in both spatial axes with its channel axes
/// swapped. Backward uses the identities: the input gradient is a conv2d of dy with the same
/// weight, and the weight gradient is that conv2d's weight gradient with x as its output gradient.
/// The CPU accelerator's host path computes the forward pass as the third identity, the input
/// gradient of that conv2d, which skips the inserted zeros (tests hold it to the zero-dilation form);
/// so does implicit GEMM on a GPU (<see cref="ImplicitConvolution.TransposedForward"/>), with no
/// dilated or flipped copies and the bias in the product's epilogue.
/// </summary>
public static class ConvTranspose2dOp
{
    /// <summary><c>y = conv_transpose2d(x, w) + b</c>; y has <c>spec.OutputShape</c>.</summary>
    public static void Forward(ConvTranspose2dSpec spec, Tensor x, Tensor w, Tensor? b, Tensor y)
    {
        CheckTensors(spec, x, w, b, y, "output", nameof(Forward));
        var device = x.Device;
        var path = device.Paths.Convolution;
        if (path == ConvolutionPath.Implicit)
        {
            // As implicit GEMM: the adjoint convolution's input gradient (no dilated or flipped
            // copies), with the bias in the epilogue.
            ImplicitConvolution.TransposedForward(device, spec.AdjointGeometry, x.View, w.View, b?.View, y.View);
            return;
        }
        if (path == ConvolutionPath.Host)
        {
            // On the host: the same values without the inserted zeros, as the adjoint convolution's
            // input gradient (W^T x, then col2im): a quarter of the products at stride 2.
            device.Synchronize();
            HostConvolution.InputGradient(device, spec.AdjointGeometry, w.View, x.View, y.View, accumulate: false);
            if (b is not null)
                TensorOps.AddChannelBias(y, b);
            return;
        }
        var g = spec.ForwardGeometry;
        var dilatedSize = spec.DilatedSize;
        var pad = spec.PadBefore;
        using var dilated = Tensor.Empty(device, spec.N, spec.InChannels, dilatedSize.H, dilatedSize.W);
        device.Kernel(ConvTransposeLoaders.ZeroDilate)(Check.LaunchSize("ConvTranspose2d", dilated.Numel), x.View, dilated.View,
            spec.InputSize.H, spec.InputSize.W, dilatedSize.H, dilatedSize.W, spec.Stride.H, spec.Stride.W, pad.H, pad.W);
        using var flipped = Tensor.Empty(device, spec.OutChannels, spec.InChannels / spec.Groups, spec.Kernel.H, spec.Kernel.W);
        device.Kernel(ConvTransposeLoaders.FlipSwapWeights)(Check.LaunchSize("ConvTranspose2d", flipped.Numel), w.View, flipped.View,
            spec.InChannels / spec.Groups, spec.OutChannels / spec.Groups, spec.Kernel.H, spec.Kernel.W);
        ConvCore.Forward(device, g, dilated.View, flipped.View, y.View);
        if (b is not null)
            TensorOps.AddChannelBias(y, b);
    }

    /// <summary>Gradients of <see cref="Forward"/>; any of dx, dw, db may be null. Adds into them with <paramref name="accumulate"/>.</summary>
    public static void Backward(ConvTranspose2dSpec spec, Tensor dy, Tensor x, Tensor w, Tensor? dx, Tensor? dw, Tensor? db, bool accumulate = false)
    {
        CheckTensors(spec, x, w, null, dy, "output gradient", nameof(Backward));
        var device = x.Device;
        var adjoint = spec.AdjointGeometry;
        if (dx is not null)
        {
            Check.SameDevice("ConvTranspose2d backward", device, dx);
            Check.SameShape("ConvTranspose2d backward", "input gradient", dx.Shape, "input", x.Shape);
            if (accumulate)
            {
                using var fresh = Tensor.Empty(device, dx.Shape);
                ConvPaths.Forward(device, adjoint, dy.View, w.View, null, fresh.View, null);
                TensorOps.Axpy(1f, fresh, dx);
            }
            else
            {
                ConvPaths.Forward(device, adjoint, dy.View, w.View, null, dx.View, null);
            }
        }
        if (dw is not null)
        {
            Check.SameDevice("ConvTranspose2d backward", device, dw);
            Check.SameShape("ConvTranspose2d backward", "weight gradient", dw.Shape, "weight", w.Shape);
            ConvPaths.WeightGradient(device, adjoint, dy.View, x.View, dw.View, accumulate);
        }
        if (db is not null)
        {
            Check.SameDevice("ConvTranspose2d backward", device, db);
            Check.SameShape("ConvTranspose2d backward", "bias gradient", db.Shape, "bias", new Shape(spec.OutChannels));
            ConvCore.BiasGradient(device, dy.View, db.View, spec.N, spec.OutChannels, spec.OutputSize.H * spec.OutputSize.W, accumulate);
        }
    }

    private static void CheckTensors(ConvTranspose2dSpec spec, Tensor x, Tensor w, Tensor? b, Tensor y, string yName, string method)
    {
        string op = $"ConvTranspose2d.{method}";
        Check.SameDevice(op, x.Device, x, w, y);
        Check.SameShape(op, "input", x.Shape, "the spec's input", spec.InputShape);
        Check.SameShape(op, "weight", w.Shape, "the spec's weight", spec.WeightShape);
        Check.SameShape(op, yName, y.Shape, "the spec's output", spec.OutputShape);
        if (b is not null)
        {
            Check.SameDevice(op, x.Device, b);
            if (b.Shape != new Shape(spec.OutChannels))
                throw new ArgumentException($"{op}: bias must be [{spec.OutChannels}] for weight {w.Shape} and groups {spec.Groups}, got {b.Shape}.", nameof(b));
        }
        if (y.SharesStorageWith(x))
            throw new ArgumentException($"{op}: the {yName} must not share memory with the input.");
    }

    /// <summary>Device bytes <see cref="Forward"/> allocates for a while on <paramref name="device"/>: on the kernels, the zero-dilated input and flipped weights and the convolution's columns.</summary>
    internal static long ForwardWorkspace(ConvTranspose2dSpec spec, ComputeDevice device)
    {
        var path = device.Paths.Convolution;
        if (path == ConvolutionPath.Implicit)
            return ImplicitConvolution.BackwardWorkspace(spec.AdjointGeometry, dx: true, dw: false, db: false, outputBias: true);
        if (path == ConvolutionPath.Host)
            return HostConvolution.InputGradientWorkspace(spec.AdjointGeometry);
        var dilated = spec.DilatedSize;
        long copies = 4 * ((long)spec.N * spec.InChannels * dilated.H * dilated.W + (long)spec.OutChannels * (spec.InChannels / spec.Groups) * spec.Kernel.H * spec.Kernel.W);
        return copies + ConvCore.ForwardWorkspace(spec.ForwardGeometry);
    }

    /// <summary>Device bytes <see cref="Backward"/> holds at once for the gradients asked for (the input gradient's copy counted, as when it accumulates).</summary>
    internal static long BackwardWorkspace(ConvTranspose2dSpec spec, ComputeDevice device, bool dx, bool dw, bool db)
    {
        var adjoint = spec.AdjointGeometry;
        long input = dx ? 4 * spec.InputShape.Numel + ConvPaths.ForwardWorkspace(device, adjoint) : 0;
        long weight = dw ? ConvPaths.WeightGradientWorkspace(device, adjoint) : 0;
        long bias = db ? ConvCore.BiasGradientWorkspace(spec.N, spec.OutChannels, spec.OutputSize.H * spec.OutputSize.W) : 0;
        return Math.Max(input, Math.Max(weight, bias));
    }
}
