using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// Convolution as implicit GEMM on the block-tiled GEMMs (<see cref="GemmLargeTileKernels"/>,
/// 128x128, and <see cref="GemmSharedTiledKernels"/>, 64x64): the column matrices are gathered in
/// the tile loads instead of written by im2col, the input gradient needs no col2im, and the work
/// after the product runs in the epilogue (bias and ReLU forward; the bias gradient as one more
/// column of the weight gradient). Each output sums its products in order, as the GEMMs do: the
/// forward pass gives the bits of im2col + GEMM + bias (+ ReLU).
/// </summary>
/// <remarks>
/// Launch as the GEMMs (grid <c>(ceil(N/block), ceil(M/block), Batch)</c>, group <c>(16, 16)</c>)
/// once per group, with views starting at the group's channels.
/// Forward: A = weights <c>[CoutG, CinG*KH*KW]</c>, B = <see cref="ConvColumns"/>, C = y per image.
/// Weight gradient: A = <see cref="ConvGradientRows"/>, B = <see cref="ConvColumnsTransposed"/>,
/// C = weight gradient slices. Input gradient: A = <see cref="ConvWeightsTransposed"/>,
/// B = <see cref="ConvGradientColumns"/>, C = dx per image.
/// </remarks>
public static class ImplicitConvKernels
{
    /// <summary>Forward pass with 128x128 blocks: <c>y = w * columns(x)</c> and the epilogue's bias and ReLU.</summary>
    public static void Forward128(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, ArrayView<float> bias, ArrayView<float> activated,
        GemmParams p, ConvColumns columns, ConvOutputEpilogue epilogue) =>
        GemmLargeTileKernels.Block(default(MatrixOperand<AsStored>), columns, epilogue, w, x, y, bias, activated, p);

    /// <summary>Forward pass with 64x64 blocks.</summary>
    public static void Forward64(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, ArrayView<float> bias, ArrayView<float> activated,
        GemmParams p, ConvColumns columns, ConvOutputEpilogue epilogue) =>
        GemmSharedTiledKernels.Block(default(MatrixOperand<AsStored>), columns, epilogue, w, x, y, bias, activated, p);

    /// <summary>Weight (and bias) gradient slices with 128x128 blocks.</summary>
    public static void WeightGradient128(ArrayView<float> dy, ArrayView<float> x, ArrayView<float> dw, ArrayView<float> db,
        GemmParams p, ConvGradientRows rows, ConvColumnsTransposed columns, WeightBiasEpilogue epilogue) =>
        GemmLargeTileKernels.Block(rows, columns, epilogue, dy, x, dw, db, db, p);

    /// <summary>Weight (and bias) gradient slices with 64x64 blocks.</summary>
    public static void WeightGradient64(ArrayView<float> dy, ArrayView<float> x, ArrayView<float> dw, ArrayView<float> db,
        GemmParams p, ConvGradientRows rows, ConvColumnsTransposed columns, WeightBiasEpilogue epilogue) =>
        GemmSharedTiledKernels.Block(rows, columns, epilogue, dy, x, dw, db, db, p);

    /// <summary>Input gradient with 128x128 blocks: <c>dx (+)= w^T * gathered(dy)</c>.</summary>
    public static void InputGradient128(ArrayView<float> w, ArrayView<float> dy, ArrayView<float> dx,
        GemmParams p, ConvWeightsTransposed weights, ConvGradientColumns columns) =>
        GemmLargeTileKernels.Block(weights, columns, default(PlainStore), w, dy, dx, dx, dx, p);

    /// <summary>Input gradient with 64x64 blocks.</summary>
    public static void InputGradient64(ArrayView<float> w, ArrayView<float> dy, ArrayView<float> dx,
        GemmParams p, ConvWeightsTransposed weights, ConvGradientColumns columns) =>
        GemmSharedTiledKernels.Block(weights, columns, default(PlainStore), w, dy, dx, dx, dx, p);
}
