using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// GEMM for GPUs with large outputs: each group of 16x16 work-items computes a 128x128 block of C,
/// each work-item an 8x8 register tile (<see cref="RegisterTile8x8"/>), 8 steps of K staged per
/// tile (<see cref="GemmBlock"/>). Launch bounds of 256 work-items and two groups per
/// multiprocessor hold it to 128 registers.
/// </summary>
/// <remarks>
/// Launch with grid <c>(ceil(N/128), ceil(M/128), Batch)</c> and group <c>(16, 16)</c>.
/// Shared memory: two buffers of 8 x 132 floats for each operand (16.5 KiB).
/// </remarks>
public static class GemmLargeTileKernels
{
    /// <summary>Rows of C per group.</summary>
    public const int BlockRows = 128;
    /// <summary>Columns of C per group.</summary>
    public const int BlockCols = 128;
    /// <summary>Work-items per group along each axis.</summary>
    public const int GroupSide = GemmBlock.GroupSide;

    /// <summary>Computes one 128x128 block of one batch entry of C.</summary>
    /// <param name="a">A matrices, op(A) is [M, K] per batch entry.</param>
    /// <param name="b">B matrices, op(B) is [K, N] per batch entry.</param>
    /// <param name="c">C matrices, [M, N] with pitch Ldc per batch entry.</param>
    /// <param name="p">Shapes, pitches, strides and scales.</param>
    [Loader("GemmLargeTile")]
    [LaunchGroup(GemmBlock.Threads, minGroupsPerMultiprocessor: 2)]
    public static void Gemm128x128<TA, TB>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams p)
        where TA : struct, IMatrixLayout
        where TB : struct, IMatrixLayout =>
        GemmBlock.Run<RegisterTile8x8, MatrixOperand<TA>, MatrixOperand<TB>, PlainStore>(
            default, default, default, a, a, b, b, c, c, c, p, Grid.IdxZ);
}
