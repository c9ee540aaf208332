using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// Convolution as implicit GEMM on the block-tiled GEMMs' body (<see cref="GemmBlock"/>, with
/// 128x128 and 64x64 blocks): the column matrices are gathered in
/// the tile loads instead of written by im2col, the input gradient needs no col2im, and the work
/// after the product runs in the epilogue (bias and ReLU forward; the bias gradient as one more
/// column of the weight gradient). Each output sums its products in order, as the GEMMs do: the
/// forward pass gives the bits of im2col + GEMM + bias (+ ReLU).
/// </summary>
/// <remarks>
/// Launch as the GEMMs (grid <c>(ceil(N/block), ceil(M/block), Batch)</c>, group <c>(16, 16)</c>)
/// once per group, with views starting at the group's channels.
/// Forward: A = weights <c>[CoutG, CinG*KH*KW]</c>, B = <see cref="ConvColumns"/>, C = y per image.
/// Backward (<see cref="ConvBackwardJobs"/>), both products in one launch: the input gradient,
/// A = <see cref="ConvWeightsTransposed"/>, B = <see cref="ConvGradientColumns"/>, C = dx per image
/// and K slice; the weight gradient, A = <see cref="ConvGradientRows"/>,
/// B = <see cref="ConvColumnsTransposed"/>, C = weight gradient slices.
/// </remarks>
public static class ImplicitConvKernels
{
    /// <summary>Forward pass with 128x128 blocks: <c>y = w * columns(x)</c> and the epilogue's bias and ReLU.</summary>
    [Loader("ImplicitConv.Forward128")]
    [LaunchGroup(GemmBlock.Threads, minGroupsPerMultiprocessor: 2)]
    public static void Forward128(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, ArrayView<float> bias, ArrayView<float> activated,
        GemmParams p, ConvColumns columns, ConvOutputEpilogue epilogue) =>
        GemmBlock.Run<RegisterTile8x8, MatrixOperand<AsStored>, ConvColumns, ConvOutputEpilogue>(default, columns, epilogue, w, w, x, x, y, bias, activated, p, Grid.IdxZ);

    /// <summary>Forward pass with 64x64 blocks.</summary>
    [Loader("ImplicitConv.Forward64")]
    [LaunchGroup(GemmBlock.Threads)]
    public static void Forward64(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, ArrayView<float> bias, ArrayView<float> activated,
        GemmParams p, ConvColumns columns, ConvOutputEpilogue epilogue) =>
        GemmBlock.Run<RegisterTile4x4, MatrixOperand<AsStored>, ConvColumns, ConvOutputEpilogue>(default, columns, epilogue, w, w, x, x, y, bias, activated, p, Grid.IdxZ);

    /// <summary>The forward pass with 128x128 blocks and the images folded into N (planes smaller than a tile): one batch entry, <c>y = w * foldedColumns(x)</c>.</summary>
    [Loader("ImplicitConv.ForwardFolded128")]
    [LaunchGroup(GemmBlock.Threads, minGroupsPerMultiprocessor: 2)]
    public static void ForwardFolded128(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, ArrayView<float> bias, ArrayView<float> activated,
        GemmParams p, ConvColumnsFolded columns, FoldedOutputEpilogue epilogue) =>
        GemmBlock.Run<RegisterTile8x8, MatrixOperand<AsStored>, ConvColumnsFolded, FoldedOutputEpilogue>(default, columns, epilogue, w, w, x, x, y, bias, activated, p, Grid.IdxZ);

    /// <summary>The folded forward pass with 64x64 blocks.</summary>
    [Loader("ImplicitConv.ForwardFolded64")]
    [LaunchGroup(GemmBlock.Threads)]
    public static void ForwardFolded64(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, ArrayView<float> bias, ArrayView<float> activated,
        GemmParams p, ConvColumnsFolded columns, FoldedOutputEpilogue epilogue) =>
        GemmBlock.Run<RegisterTile4x4, MatrixOperand<AsStored>, ConvColumnsFolded, FoldedOutputEpilogue>(default, columns, epilogue, w, w, x, x, y, bias, activated, p, Grid.IdxZ);

    /// <summary>
    /// The forward pass of a 1x1 convolution with stride 1 and no padding, with 128x128 blocks: its
    /// column matrix is the image itself (<c>[CinG, H * W]</c>), read as a plain matrix with no gather.
    /// </summary>
    [Loader("ImplicitConv.Pointwise128")]
    [LaunchGroup(GemmBlock.Threads, minGroupsPerMultiprocessor: 2)]
    public static void Pointwise128(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, ArrayView<float> bias, ArrayView<float> activated,
        GemmParams p, ConvOutputEpilogue epilogue) =>
        GemmBlock.Run<RegisterTile8x8, MatrixOperand<AsStored>, MatrixOperand<AsStored>, ConvOutputEpilogue>(default, default, epilogue, w, w, x, x, y, bias, activated, p, Grid.IdxZ);

    /// <summary>The 1x1 forward pass with 64x64 blocks.</summary>
    [Loader("ImplicitConv.Pointwise64")]
    [LaunchGroup(GemmBlock.Threads)]
    public static void Pointwise64(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, ArrayView<float> bias, ArrayView<float> activated,
        GemmParams p, ConvOutputEpilogue epilogue) =>
        GemmBlock.Run<RegisterTile4x4, MatrixOperand<AsStored>, MatrixOperand<AsStored>, ConvOutputEpilogue>(default, default, epilogue, w, w, x, x, y, bias, activated, p, Grid.IdxZ);

    /// <summary>
    /// The backward products with 128x128 blocks, as one launch: batch entries (grid z) below
    /// <c>input.Batch</c> compute the input gradient <c>dx (+)= w^T * gathered(dy)</c>, the rest the
    /// weight gradient slices <c>dw, db = dy * columns(x)^T</c>. Either may have no batch entries.
    /// The grid covers the larger of the two in x and y; groups past a product's edge return.
    /// </summary>
    [Loader("ImplicitConv.Backward128")]
    [LaunchGroup(GemmBlock.Threads, minGroupsPerMultiprocessor: 2)]
    public static void Backward128(ArrayView<float> w, ArrayView<float> dy, ArrayView<float> mask, ArrayView<float> dx, ArrayView<float> bias,
        ArrayView<float> x, ArrayView<float> dw, ArrayView<float> db, GemmParams input, GemmParams weight, ConvBackwardJobs jobs)
    {
        int z = Grid.IdxZ;
        if (z < input.Batch)
            GemmBlock.Run<RegisterTile8x8, ConvWeightsTransposed, ConvGradientColumns, ConvOutputEpilogue>(jobs.InputA, jobs.InputB, jobs.InputEpilogue, w, w, dy, mask, dx, bias, dx, input, z);
        else
            GemmBlock.Run<RegisterTile8x8, ConvGradientRows, ConvColumnsTransposed, WeightBiasEpilogue>(jobs.WeightA, jobs.WeightB, jobs.WeightEpilogue, dy, mask, x, x, dw, db, db, weight, z - input.Batch);
    }

    /// <summary>The backward products with 64x64 blocks (see <see cref="Backward128"/>).</summary>
    [Loader("ImplicitConv.Backward64")]
    [LaunchGroup(GemmBlock.Threads)]
    public static void Backward64(ArrayView<float> w, ArrayView<float> dy, ArrayView<float> mask, ArrayView<float> dx, ArrayView<float> bias,
        ArrayView<float> x, ArrayView<float> dw, ArrayView<float> db, GemmParams input, GemmParams weight, ConvBackwardJobs jobs)
    {
        int z = Grid.IdxZ;
        if (z < input.Batch)
            GemmBlock.Run<RegisterTile4x4, ConvWeightsTransposed, ConvGradientColumns, ConvOutputEpilogue>(jobs.InputA, jobs.InputB, jobs.InputEpilogue, w, w, dy, mask, dx, bias, dx, input, z);
        else
            GemmBlock.Run<RegisterTile4x4, ConvGradientRows, ConvColumnsTransposed, WeightBiasEpilogue>(jobs.WeightA, jobs.WeightB, jobs.WeightEpilogue, dy, mask, x, x, dw, db, db, weight, z - input.Batch);
    }
}
