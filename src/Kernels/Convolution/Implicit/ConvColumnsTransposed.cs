using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// B of the weight gradient: the column matrices of a run of images side by side, transposed,
/// <c>[images * OutH * OutW, CinG * KH * KW]</c>, with an optional last column of ones whose product
/// with the output gradient is the bias gradient. Sliced along K (the rows) as
/// <see cref="ConvGradientRows"/> is: batch entry <c>s</c> reads rows <c>[s * Depth, (s + 1) * Depth)</c>,
/// zero past <see cref="KTotal"/>.
/// </summary>
public readonly struct ConvColumnsTransposed : IGemmOperand
{
    /// <summary>The convolution.</summary>
    public readonly ConvGeometry Geometry;
    /// <summary>Columns of the column matrix, <c>CinG * KH * KW</c>; column <c>Rows</c>, if the product has it, is all ones.</summary>
    public readonly int Rows;
    /// <summary>Elements between images of the input, <c>Cin * H * W</c>.</summary>
    public readonly long ImageStride;
    /// <summary>Rows per slice.</summary>
    public readonly int Depth;
    /// <summary>Rows in all, <c>images * OutH * OutW</c>.</summary>
    public readonly int KTotal;

    /// <summary>The transposed columns of <paramref name="images"/> images of <paramref name="geometry"/> in slices of <paramref name="depth"/>.</summary>
    public ConvColumnsTransposed(ConvGeometry geometry, int images, int depth)
    {
        Geometry = geometry;
        Rows = geometry.ColumnRows;
        ImageStride = (long)geometry.InChannels * geometry.H * geometry.W;
        Depth = depth;
        KTotal = images * geometry.OutH * geometry.OutW;
    }

    /// <inheritdoc/>
    public bool ColumnsContiguous => false;

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, long batchBase, int row, int col, int ld)
    {
        long k = batchBase * Depth + row;
        bool inside = k < KTotal;
        int plane = Geometry.OutH * Geometry.OutW;
        long image = inside ? k / plane : 0;
        int pixel = inside ? (int)(k - image * plane) : 0;
        bool ones = col >= Rows;
        float value = ConvGather.Input(data, Geometry, image * ImageStride, ones ? 0 : col, pixel);
        return !inside ? 0f : ones ? 1f : value;
    }
}
