using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// The weight gradient's epilogue: columns <c>[0, Columns)</c> are the weight gradient, stored as
/// C; column <c>Columns</c> (the product with <see cref="ConvColumnsTransposed"/>'s ones) is the bias
/// gradient, stored at <c>aux0[batch * BiasStride + row]</c>. Both with alpha and beta.
/// </summary>
public readonly struct WeightBiasEpilogue : IGemmEpilogue
{
    /// <summary>Columns of the weight gradient, <c>CinG * KH * KW</c>.</summary>
    public readonly int Columns;
    /// <summary>Elements between batch entries' bias gradients.</summary>
    public readonly long BiasStride;

    /// <summary>An epilogue splitting at <paramref name="columns"/>.</summary>
    public WeightBiasEpilogue(int columns, long biasStride)
    {
        Columns = columns;
        BiasStride = biasStride;
    }

    /// <inheritdoc/>
    public void Store(ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row, int col, float value, GemmParams p)
    {
        if (row >= p.M || col >= p.N)
            return;
        if (col < Columns)
        {
            PlainStore.Write(c, cBase, row, col, value, p);
        }
        else
        {
            long at = batch * BiasStride + row;
            aux0[at] = p.Beta == 0f ? p.Alpha * value : p.Alpha * value + p.Beta * aux0[at];
        }
    }
}
