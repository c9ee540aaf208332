using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// B of the forward pass: one image's column matrix <c>[CinG * KH * KW, OutH * OutW]</c>, gathered
/// from the input. Batch entry <c>b</c> is image <c>b</c> (stride <c>Cin * H * W</c>).
/// </summary>
public readonly struct ConvColumns : IGemmOperand<ConvColumns>
{
    /// <summary>The convolution.</summary>
    public readonly ConvGeometry Geometry;
    /// <summary>Its divisors.</summary>
    public readonly ConvDivisors Divisors;

    /// <summary>Columns of <paramref name="geometry"/>.</summary>
    public ConvColumns(ConvGeometry geometry)
    {
        Geometry = geometry;
        Divisors = new ConvDivisors(geometry);
    }

    /// <inheritdoc/>
    public bool SplitsK => true;

    /// <inheritdoc/>
    public bool ColumnsContiguous => true;

    /// <inheritdoc/>
    public ConvColumns ForBatch(int batch, long stride, out long offset)
    {
        offset = batch * stride;
        return this;
    }

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, int row, int col, int ld) =>
        ConvGather.Input(data, Geometry, Divisors, row, col);
}
