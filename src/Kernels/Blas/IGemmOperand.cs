using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// How the block-tiled GEMMs read one operand: a matrix in memory (<see cref="MatrixOperand{TL}"/>)
/// or a matrix computed on the fly from another tensor, such as a convolution's column matrix
/// gathered from its input (implicit GEMM: no column buffer, no im2col launch). A generic struct
/// parameter, so each operand compiles into its kernel with its index arithmetic inlined; its fields
/// (a geometry, offsets) are kernel arguments.
/// </summary>
public interface IGemmOperand
{
    /// <summary>
    /// True when neighbouring columns of op(X) lie next to each other in memory, false when
    /// neighbouring rows do: the tile loads walk that axis, so neighbouring work-items read
    /// neighbouring addresses.
    /// </summary>
    bool ColumnsContiguous { get; }

    /// <summary>
    /// Element <c>(row, col)</c> of op(X) for the batch entry whose offset is
    /// <paramref name="batchBase"/> (batch index times the operand's stride in <see cref="GemmParams"/>).
    /// <paramref name="row"/> and <paramref name="col"/> lie inside op(X); an operand that reads
    /// zeros (padding) returns 0 without reading outside <paramref name="data"/>.
    /// <paramref name="mask"/> is a second view the operand may read (a ReLU's pre-activation, to
    /// take its gradient on the fly), or unused.
    /// </summary>
    float Load(ArrayView<float> data, ArrayView<float> mask, long batchBase, int row, int col, int ld);
}
