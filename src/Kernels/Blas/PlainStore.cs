using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>The GEMM's own epilogue: <c>C = alpha * value + beta * C</c> inside the matrix (<see cref="Write"/>).</summary>
public readonly struct PlainStore : IGemmEpilogue
{
    /// <inheritdoc/>
    public void Store(ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row, int col, float value, GemmParams p) =>
        Write(c, cBase, row, col, value, p);

    /// <summary><c>C[row, col] = alpha * value + beta * C[row, col]</c> inside the matrix; C is not read when beta is 0 (it may hold NaN).</summary>
    public static void Write(ArrayView<float> c, long cBase, int row, int col, float value, GemmParams p)
    {
        if (row >= p.M || col >= p.N)
            return;
        long at = cBase + (long)row * p.Ldc + col;
        c[at] = p.Beta == 0f ? p.Alpha * value : p.Alpha * value + p.Beta * c[at];
    }
}
