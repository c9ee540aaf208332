using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// GEMM for GPUs, for outputs too small for <see cref="GemmLargeTileKernels"/> to give every
/// multiprocessor work: each group of 16x16 work-items computes a 64x64 block of C, each work-item a
/// 4x4 register tile (<see cref="RegisterTile4x4"/>), 16 steps of K staged per tile
/// (<see cref="GemmBlock"/>). The same sums in the same order as the 128x128 kernel, so the same bits.
/// </summary>
/// <remarks>
/// Launch with grid <c>(ceil(N/64), ceil(M/64), Batch)</c> and group <c>(16, 16)</c>.
/// Shared memory: two buffers of 16 x 68 floats for each operand (17 KiB).
/// </remarks>
public static class GemmSharedTiledKernels
{
    /// <summary>Rows of C per group.</summary>
    public const int BlockRows = 64;
    /// <summary>Columns of C per group.</summary>
    public const int BlockCols = 64;
    /// <summary>Threads per group along each axis.</summary>
    public const int GroupSide = GemmBlock.GroupSide;

    /// <summary>Computes one 64x64 block of one batch entry of C.</summary>
    /// <param name="a">A matrices, op(A) is [M, K] per batch entry.</param>
    /// <param name="b">B matrices, op(B) is [K, N] per batch entry.</param>
    /// <param name="c">C matrices, [M, N] with pitch Ldc per batch entry.</param>
    /// <param name="p">Shapes, pitches, strides and scales.</param>
    [Loader("GemmSharedTiled")]
    [LaunchGroup(GemmBlock.Threads)]
    public static void Gemm64x64<TA, TB>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
        where TA : struct, IMatrixLayout
        where TB : struct, IMatrixLayout =>
        GemmBlock.Run<RegisterTile4x4, MatrixOperand<TA>, MatrixOperand<TB>, PlainStore>(
            default, default, default, a, a, b, b, c, c, c, p, Grid.IdxZ);
}
