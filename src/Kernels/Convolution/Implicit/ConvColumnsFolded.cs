using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// B of the forward pass with the images folded into N, for planes smaller than a tile: the column
/// matrices of a run of images side by side, <c>[CinG * KH * KW, images * OutH * OutW]</c>, column
/// <c>j</c> being pixel <c>j % (OutH * OutW)</c> of image <c>j / (OutH * OutW)</c>. One product then
/// fills whole tiles where per-image products would leave most of each tile's columns empty
/// (ResNet-50's 7x7 maps use 49 of 128). One batch entry.
/// </summary>
public readonly struct ConvColumnsFolded : IGemmOperand<ConvColumnsFolded>
{
    /// <summary>The convolution.</summary>
    public readonly ConvGeometry Geometry;
    /// <summary>Its divisors (<see cref="ConvDivisors.OutPlane"/> splits a column into image and pixel).</summary>
    public readonly ConvDivisors Divisors;
    /// <summary>Elements between images of the input, <c>Cin * H * W</c>.</summary>
    public readonly long ImageStride;

    /// <summary>The folded columns of <paramref name="geometry"/>, images <paramref name="imageStride"/> apart.</summary>
    public ConvColumnsFolded(ConvGeometry geometry, long imageStride)
    {
        Geometry = geometry;
        Divisors = new ConvDivisors(geometry);
        ImageStride = imageStride;
    }

    /// <inheritdoc/>
    public bool SplitsK => true;

    /// <inheritdoc/>
    public bool ColumnsContiguous => true;

    /// <inheritdoc/>
    public ConvColumnsFolded ForBatch(int batch, long stride, out long offset)
    {
        offset = 0;
        return this;
    }

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, int row, int col, int ld)
    {
        int image = Divisors.OutPlane.DivRem(col, out int pixel);
        return ConvGather.Input(data.SubView(image * ImageStride), Geometry, Divisors, row, pixel);
    }
}
