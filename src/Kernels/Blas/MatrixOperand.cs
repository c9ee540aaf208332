using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>An operand stored as a matrix, as stored or transposed (<typeparamref name="TL"/>): batch entry <c>b</c> starts <c>b * stride</c> elements in, and one matrix's offsets fit 32 bits (the engine checks).</summary>
public readonly struct MatrixOperand<TL> : IGemmOperand<MatrixOperand<TL>>
    where TL : struct, IMatrixLayout
{
    /// <inheritdoc/>
    public bool SplitsK => false;

    /// <inheritdoc/>
    public bool ColumnsContiguous => default(TL).ColumnsContiguous;

    /// <inheritdoc/>
    public MatrixOperand<TL> ForBatch(int batch, long stride, out long offset)
    {
        offset = batch * stride;
        return this;
    }

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, int row, int col, int ld) =>
        data[default(TL).Offset(row, col, ld)];
}
