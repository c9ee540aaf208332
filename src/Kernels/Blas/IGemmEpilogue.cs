using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// What the block-tiled GEMMs do with each finished result: store it (<see cref="PlainStore"/>) or
/// fuse the work that follows the product into the same pass (a convolution's bias and ReLU, a
/// weight gradient's bias column). A generic struct parameter, inlined into its kernel.
/// </summary>
public interface IGemmEpilogue
{
    /// <summary>
    /// Handles the product <paramref name="value"/> (before alpha) of <c>C[row, col]</c> of batch
    /// entry <paramref name="batch"/>, whose matrix starts at <paramref name="cBase"/>. Row and
    /// column may lie past the matrix (the block's edge): nothing is written there.
    /// <paramref name="aux0"/> and <paramref name="aux1"/> are the epilogue's own buffers (a bias,
    /// an activation), or unused.
    /// </summary>
    void Store(ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row, int col, float value, GemmParams p);
}
