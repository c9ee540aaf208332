using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>An operand stored as a matrix, as stored or transposed (<typeparamref name="TL"/>); the batch base is an element offset.</summary>
public readonly struct MatrixOperand<TL> : IGemmOperand
    where TL : struct, IMatrixLayout
{
    /// <inheritdoc/>
    public bool ColumnsContiguous => default(TL).ColumnsContiguous;

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, long batchBase, int row, int col, int ld) =>
        data[batchBase + default(TL).Offset(row, col, ld)];
}
