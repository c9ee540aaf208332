using System.Numerics;
using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// The shape of a block-tiled GEMM (<see cref="GemmBlock"/>) and the arithmetic of one work-item's
/// register tile: a group of 16x16 work-items computes a <see cref="BlockRows"/> x
/// <see cref="BlockCols"/> block of C, staging <see cref="Depth"/> steps of K at a time in shared
/// memory. A generic struct parameter whose members are constants, so the block compiles once per
/// shape with every index folded and every k step unrolled (ILGPU does not unroll loops).
/// </summary>
/// <typeparam name="TSelf">The tile type itself: its values are the work-item's accumulators.</typeparam>
public interface IRegisterTile<TSelf> where TSelf : struct, IRegisterTile<TSelf>
{
    /// <summary>Rows of C per group.</summary>
    int BlockRows { get; }

    /// <summary>Columns of C per group.</summary>
    int BlockCols { get; }

    /// <summary>Steps of K staged per tile.</summary>
    int Depth { get; }

    /// <summary>Floats between consecutive k of a staged tile: the tile's width plus 4, so both vector reads and the transposing stores meet no bank conflicts.</summary>
    int Pitch { get; }

    /// <summary>
    /// The accumulators after the products of one staged tile: for each of its <see cref="Depth"/>
    /// k in order, every accumulator <c>(i, j)</c> adds <c>a[k, i] * b[k, j]</c>, one multiply-add each.
    /// </summary>
    /// <param name="tileA">The A tile from this work-item's first row of its first k on, in vectors of four (k-major, <see cref="Pitch"/> floats per k), followed by at least one more row.</param>
    /// <param name="tileB">The B tile from this work-item's first column on, likewise.</param>
    /// <remarks>
    /// A loop of a few k per iteration, not one unrolled block: ILGPU does not unroll loops, and
    /// unrolled in one block it emits each accumulator's whole chain at once, so every fragment of
    /// the tile stays live (the 8x8 tile: 244 registers, or 928 bytes of spills under the launch
    /// bounds). The loop keeps each k's multiply-adds beside its shared-memory reads.
    /// </remarks>
    TSelf MultiplyTile(ArrayView<Vector4> tileA, ArrayView<Vector4> tileB);

    /// <summary>Hands every accumulator to the epilogue: rows <c>row0 + ...</c> and columns <c>col0 + ...</c> of C as the tile lays them out.</summary>
    void Store<TE>(TE epilogue, ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row0, int col0, GemmParams p)
        where TE : struct, IGemmEpilogue;
}
