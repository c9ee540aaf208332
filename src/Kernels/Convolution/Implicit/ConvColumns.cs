using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// B of the forward pass: one image's column matrix <c>[CinG * KH * KW, OutH * OutW]</c>, gathered
/// from the input. The batch base is the image's offset (stride <c>Cin * H * W</c>).
/// </summary>
public readonly struct ConvColumns : IGemmOperand
{
    /// <summary>The convolution.</summary>
    public readonly ConvGeometry Geometry;

    /// <summary>Columns of <paramref name="geometry"/>.</summary>
    public ConvColumns(ConvGeometry geometry) => Geometry = geometry;

    /// <inheritdoc/>
    public bool ColumnsContiguous => true;

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, long batchBase, int row, int col, int ld) =>
        ConvGather.Input(data, Geometry, batchBase, row, col);
}
