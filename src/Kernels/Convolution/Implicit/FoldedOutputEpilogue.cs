using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// The forward pass's epilogue when the images are folded into N (<see cref="ConvColumnsFolded"/>):
/// column <c>j</c> of C is pixel <c>j % (OutH * OutW)</c> of image <c>j / (OutH * OutW)</c>, stored at
/// <c>y[image, row, pixel]</c>, with <see cref="ConvOutputEpilogue"/>'s bias and ReLU.
/// </summary>
public readonly struct FoldedOutputEpilogue : IGemmEpilogue
{
    /// <summary>The mode: <see cref="ConvOutputEpilogue.Plain"/>, <see cref="ConvOutputEpilogue.Bias"/> or <see cref="ConvOutputEpilogue.BiasRelu"/>.</summary>
    public readonly int Mode;
    /// <summary>Output pixels per channel, <c>OutH * OutW</c>.</summary>
    public readonly FastDivisor Plane;
    /// <summary>Elements between images of the output, <c>Cout * OutH * OutW</c>.</summary>
    public readonly long ImageStride;

    /// <summary>An epilogue of mode <paramref name="mode"/> for outputs of <paramref name="plane"/> pixels, images <paramref name="imageStride"/> apart.</summary>
    public FoldedOutputEpilogue(int mode, int plane, long imageStride)
    {
        Mode = mode;
        Plane = new FastDivisor(plane);
        ImageStride = imageStride;
    }

    /// <inheritdoc/>
    public void Store(ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row, int col, float value, GemmParams p)
    {
        if (row >= p.M || col >= p.N)
            return;
        int image = Plane.DivRem(col, out int pixel);
        ConvOutputEpilogue.Write(Mode, c, aux0, aux1, cBase + image * ImageStride + row * Plane.Divisor + pixel, row, value, p);
    }
}
