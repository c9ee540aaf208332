using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// How the block-tiled GEMMs (<see cref="GemmBlock"/>) read one operand: a matrix in memory
/// (<see cref="MatrixOperand{TL}"/>) or a matrix computed on the fly from another tensor, such as a
/// convolution's column matrix gathered from its input (implicit GEMM: no column buffer, no im2col
/// launch). A generic struct parameter, so each operand compiles into its kernel with its index
/// arithmetic inlined; its fields (a geometry, divisors, offsets) are kernel arguments.
/// </summary>
/// <typeparam name="TSelf">The operand type itself.</typeparam>
public interface IGemmOperand<TSelf> where TSelf : struct, IGemmOperand<TSelf>
{
    /// <summary>
    /// True when neighbouring columns of op(X) lie next to each other in memory, false when
    /// neighbouring rows do: the tile loads walk that axis, so neighbouring work-items read
    /// neighbouring addresses.
    /// </summary>
    bool ColumnsContiguous { get; }

    /// <summary>
    /// True when reading an element means splitting its K index into parts (a convolution's channel
    /// and tap, or image and pixel): the staging then gives each work-item elements that share their
    /// k where the layout allows, so the split is made once for all of them. A matrix, whose elements
    /// cost the same whatever their k, says false.
    /// </summary>
    bool SplitsK { get; }

    /// <summary>
    /// The operand as one block of batch entry <paramref name="batch"/> reads it, with what depends on
    /// the entry alone worked out once, before the K loop; <paramref name="offset"/> is where the
    /// entry's data starts in the views (the kernel reads them from there on with 32-bit indices), 0
    /// for an operand that spans the whole view. <paramref name="stride"/> is the operand's batch
    /// stride from <see cref="GemmParams"/>.
    /// </summary>
    TSelf ForBatch(int batch, long stride, out long offset);

    /// <summary>
    /// Element <c>(row, col)</c> of op(X) of the batch entry <see cref="ForBatch"/> chose, read from
    /// views that start at its offset. <paramref name="row"/> and <paramref name="col"/> lie inside
    /// op(X); an operand that reads zeros (padding) returns 0 without reading outside
    /// <paramref name="data"/>. <paramref name="mask"/> is a second view the operand may read (a
    /// ReLU's pre-activation, to take its gradient on the fly), or unused.
    /// </summary>
    float Load(ArrayView<float> data, ArrayView<float> mask, int row, int col, int ld);
}
