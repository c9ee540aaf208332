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
public readonly struct ConvColumnsTransposed : IGemmOperand<ConvColumnsTransposed>
{
    /// <summary>The convolution.</summary>
    public readonly ConvGeometry Geometry;
    /// <summary>Its divisors.</summary>
    public readonly ConvDivisors Divisors;
    /// <summary>Columns of the column matrix, <c>CinG * KH * KW</c>; column <c>Rows</c>, if the product has it, is all ones.</summary>
    public readonly int Rows;
    /// <summary>Elements between images of the input, <c>Cin * H * W</c>.</summary>
    public readonly long ImageStride;
    /// <summary>Rows per slice.</summary>
    public readonly int Depth;
    /// <summary>Rows in all, <c>images * OutH * OutW</c>.</summary>
    public readonly int KTotal;
    /// <summary>The first row of the bound slice (set by <see cref="ForBatch"/>).</summary>
    public readonly int KBase;

    /// <summary>The transposed columns of <paramref name="images"/> images of <paramref name="geometry"/> in slices of <paramref name="depth"/>.</summary>
    public ConvColumnsTransposed(ConvGeometry geometry, int images, int depth)
    {
        Geometry = geometry;
        Divisors = new ConvDivisors(geometry);
        Rows = geometry.ColumnRows;
        ImageStride = (long)geometry.InChannels * geometry.H * geometry.W;
        Depth = depth;
        KTotal = images * geometry.OutH * geometry.OutW;
        KBase = 0;
    }

    private ConvColumnsTransposed(ConvColumnsTransposed other, int kBase)
    {
        this = other;
        KBase = kBase;
    }

    /// <inheritdoc/>
    public bool SplitsK => true;

    /// <inheritdoc/>
    public bool ColumnsContiguous => false;

    /// <inheritdoc/>
    public ConvColumnsTransposed ForBatch(int batch, long stride, out long offset)
    {
        offset = 0; // the images a slice spans start wherever its rows fall
        return new ConvColumnsTransposed(this, batch * Depth);
    }

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, int row, int col, int ld)
    {
        int k = KBase + row;
        bool inside = k < KTotal;
        int image = Divisors.OutPlane.DivRem(inside ? k : 0, out int pixel);
        bool ones = col >= Rows;
        float value = ConvGather.Input(data.SubView(image * ImageStride), Geometry, Divisors, ones ? 0 : col, pixel);
        return !inside ? 0f : ones ? 1f : value;
    }
}
