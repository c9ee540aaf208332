namespace Engine.Kernels.Blas;

/// <summary>
/// How a GEMM operand is read: as stored, or transposed. A generic struct parameter, so each
/// combination compiles to its own kernel with the index arithmetic constant-folded.
/// </summary>
public interface IMatrixLayout
{
    /// <summary>Offset of element <c>(row, col)</c> of op(X) in a matrix stored with pitch <paramref name="ld"/>.</summary>
    int Offset(int row, int col, int ld);
}

/// <summary>op(X) = X: element (row, col) is stored at <c>row * ld + col</c>.</summary>
public readonly struct AsStored : IMatrixLayout
{
    /// <inheritdoc/>
    public int Offset(int row, int col, int ld) => row * ld + col;
}

/// <summary>op(X) = X^T: element (row, col) is stored at <c>col * ld + row</c>.</summary>
public readonly struct Transposed : IMatrixLayout
{
    /// <inheritdoc/>
    public int Offset(int row, int col, int ld) => col * ld + row;
}
