using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>The GEMM's own epilogue: <c>C = alpha * value + beta * C</c> (<see cref="GemmTiles.Store"/>).</summary>
public readonly struct PlainStore : IGemmEpilogue
{
    /// <inheritdoc/>
    public void Store(ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row, int col, float value, GemmParams p) =>
        GemmTiles.Store(c, cBase, row, col, value, p);
}
