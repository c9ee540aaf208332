namespace Engine.Kernels.Blas;

/// <summary>
/// How a GEMM operand is read: as stored, or transposed. A generic struct parameter, so each
/// combination compiles to its own kernel with the index arithmetic constant-folded.
/// </summary>
public interface IMatrixLayout
{
    /// <summary>Offset of element <c>(row, col)</c> of op(X) in a matrix stored with pitch <paramref name="ld"/>.</summary>
    int Offset(int row, int col, int ld);

    /// <summary>True when neighbouring columns of op(X) are neighbours in memory (X as stored); false when neighbouring rows are (X transposed).</summary>
    bool ColumnsContiguous { get; }
}

/// <summary>op(X) = X: element (row, col) is stored at <c>row * ld + col</c>.</summary>
public readonly struct AsStored : IMatrixLayout
{
    /// <inheritdoc/>
    public int Offset(int row, int col, int ld) => row * ld + col;

    /// <inheritdoc/>
    public bool ColumnsContiguous => true;
}

/// <summary>op(X) = X^T: element (row, col) is stored at <c>col * ld + row</c>.</summary>
public readonly struct Transposed : IMatrixLayout
{
    /// <inheritdoc/>
    public int Offset(int row, int col, int ld) => col * ld + row;

    /// <inheritdoc/>
    public bool ColumnsContiguous => false;
}
