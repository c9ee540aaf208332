using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// The block computation of the GPU GEMMs, generic over the block's shape and register tile
/// (<see cref="IRegisterTile{TSelf}"/>: 128x128 with 8x8 per work-item, 64x64 with 4x4), over how
/// each operand is read (<see cref="IGemmOperand{TSelf}"/>: a matrix, or a convolution's column
/// matrix gathered in the loads) and over what happens to each result
/// (<see cref="IGemmEpilogue"/>). One group of 16x16 work-items computes one block of C of one
/// batch entry; a group whose block lies past C's edges returns at once, so one launch can run two
/// products of different shapes (a convolution's two gradients).
/// </summary>
/// <remarks>
/// Per tile of K, each work-item reads 4 elements of A and 4 of B from global memory, coalesced
/// whichever way an operand is stored (work-item <c>e</c> takes the element after work-item
/// <c>e - 1</c>'s along the operand's contiguous axis), and stores them k-major into shared memory
/// (<c>tile[k][i]</c>, pitch = width + 4: 16-byte aligned rows for the vector reads, and the
/// transposing stores of 32 work-items land in 32 banks). The tiles are double-buffered: the next
/// tile is read into registers before the current one's arithmetic and stored after it, so one
/// barrier per tile suffices and the loads' latency hides behind the multiply-adds. Every output
/// sums its K products in order, one multiply-add at a time, so every shape gives the same bits.
/// Only group barriers and shared memory: it compiles for PTX and OpenCL alike.
/// </remarks>
public static class GemmBlock
{
    /// <summary>Work-items per group (16 x 16).</summary>
    public const int Threads = 256;

    /// <summary>Work-items per group along each axis.</summary>
    public const int GroupSide = 16;

    // Elements of each operand's tile one work-item stages per tile: 128 x 8 (or 64 x 16) / 256.
    private const int Staged = 4;

    /// <summary>
    /// Computes the block <c>(Grid.IdxY, Grid.IdxX)</c> of batch entry <paramref name="batch"/>:
    /// <c>C = epilogue(op(A) * op(B))</c>. <paramref name="aMask"/> and <paramref name="bMask"/> go to
    /// the operands, <paramref name="aux0"/> and <paramref name="aux1"/> to the epilogue.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TTile, TA, TB, TE>(TA opA, TB opB, TE epilogue, ArrayView<float> a, ArrayView<float> aMask, ArrayView<float> b, ArrayView<float> bMask,
        ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, GemmParams p, int batch)
        where TTile : struct, IRegisterTile<TTile>
        where TA : struct, IGemmOperand<TA>
        where TB : struct, IGemmOperand<TB>
        where TE : struct, IGemmEpilogue
    {
        var shape = default(TTile);
        int rows = shape.BlockRows, cols = shape.BlockCols, depth = shape.Depth, pitch = shape.Pitch;
        int tileFloats = depth * pitch;
        // Two buffers each, [2][Depth][Pitch], and a spare row that the tile's k loop may point its
        // views at after their last step (never read; a view must start inside its buffer).
        var sharedA = SharedMemory.Allocate<float>((2 * default(TTile).Depth + 1) * default(TTile).Pitch);
        var sharedB = SharedMemory.Allocate<float>((2 * default(TTile).Depth + 1) * default(TTile).Pitch);
        int tx = Group.IdxX;
        int ty = Group.IdxY;
        int thread = ty * GroupSide + tx;
        int blockRow0 = Grid.IdxY * rows;
        int blockCol0 = Grid.IdxX * cols;
        if (blockRow0 >= p.M || blockCol0 >= p.N)
            return; // the whole group: past this product's edge

        var boundA = opA.ForBatch(batch, p.StrideA, out long aOffset);
        var boundB = opB.ForBatch(batch, p.StrideB, out long bOffset);
        var viewA = a.SubView(aOffset);
        var maskA = aMask.SubView(aOffset);
        var viewB = b.SubView(bOffset);
        var maskB = bMask.SubView(bOffset);

        // Where this work-item's staged elements lie in the tiles: fixed for the whole K loop.
        var planA = StagingPlan.For(opA.ColumnsContiguous, opA.SplitsK, rows, depth, pitch, blockRow0, p.M, thread);
        var planB = StagingPlan.For(!opB.ColumnsContiguous, opB.SplitsK, cols, depth, pitch, blockCol0, p.N, thread);

        // Tiles [0, fullTiles) lie wholly inside K and load without checking it; the last may not.
        // Each step reads the next tile into registers, multiplies the current one and stores the
        // next into the other buffer: full tiles in a loop with no branch, then at most one step
        // that loads the tile crossing K, then the last tile's products.
        int fullTiles = p.K / depth;
        int last = (p.K + depth - 1) / depth - 1;
        var stagedA = planA.LoadA(boundA, viewA, maskA, p, 0, fullTiles > 0);
        var stagedB = planB.LoadB(boundB, viewB, maskB, p, 0, fullTiles > 0);
        planA.Put(sharedA, 0, stagedA);
        planB.Put(sharedB, 0, stagedB);
        Group.Barrier();

        var vectorsA = sharedA.Cast<Vector4>().SubView(ty);
        var vectorsB = sharedB.Cast<Vector4>().SubView(tx);
        var acc = default(TTile);
        int step = 0;
        for (; step < fullTiles - 1; step++)
        {
            int current = (step & 1) * tileFloats;
            stagedA = planA.LoadA(boundA, viewA, maskA, p, (step + 1) * depth, true);
            stagedB = planB.LoadB(boundB, viewB, maskB, p, (step + 1) * depth, true);
            acc = acc.MultiplyTile(vectorsA.SubView(current >> 2), vectorsB.SubView(current >> 2));
            planA.Put(sharedA, tileFloats - current, stagedA);
            planB.Put(sharedB, tileFloats - current, stagedB);
            Group.Barrier();
        }
        if (step < last)
        {
            int current = (step & 1) * tileFloats;
            stagedA = planA.LoadA(boundA, viewA, maskA, p, (step + 1) * depth, false);
            stagedB = planB.LoadB(boundB, viewB, maskB, p, (step + 1) * depth, false);
            acc = acc.MultiplyTile(vectorsA.SubView(current >> 2), vectorsB.SubView(current >> 2));
            planA.Put(sharedA, tileFloats - current, stagedA);
            planB.Put(sharedB, tileFloats - current, stagedB);
            Group.Barrier();
            step++;
        }
        acc = acc.MultiplyTile(vectorsA.SubView(((step & 1) * tileFloats) >> 2), vectorsB.SubView(((step & 1) * tileFloats) >> 2));

        acc.Store(epilogue, c, aux0, aux1, batch * p.StrideC, batch, blockRow0 + 4 * ty, blockCol0 + 4 * tx, p);
    }

    /// <summary>Four staged values of one operand, in registers between the global read and the shared store.</summary>
    private struct Staged4
    {
        public float V0, V1, V2, V3;
    }

    /// <summary>
    /// Where one work-item's four staged elements of an operand's tile come from and go. With K
    /// contiguous in memory, neighbouring work-items take neighbouring k: all four of a work-item's
    /// elements share one k (<c>thread % depth</c>) and lie in four rows of the tile's width. With
    /// the width contiguous, neighbouring work-items take neighbouring indices: a matrix's work-item
    /// takes one index at four k; an operand that splits its k (<see cref="IGemmOperand{TSelf}.SplitsK"/>)
    /// gives each warp one k and its 32 work-items 32 neighbouring indices (the 128-wide tile's four
    /// elements 32 apart at that k, the 64-wide tile's two k, warp and warp + 8, with two each), so
    /// each k is split once for all of a work-item's elements. Every warp's stores into the k-major
    /// tile fall in 32 banks.
    /// </summary>
    /// <remarks>
    /// Rows of A past M and columns of B past N are read at index 0 instead (any value will do: they
    /// only reach outputs past C's edge, which are never stored). Steps past K must be zero in both
    /// operands, so they do not add to the outputs (0 times a finite value): only a tile that crosses
    /// K checks it.
    /// </remarks>
    private readonly struct StagingPlan
    {
        // Indices along M (for A) or N (for B), 0 past the edge.
        private readonly int _i0, _i1, _i2, _i3;
        // Steps of K inside the tile.
        private readonly int _k0, _k1, _k2, _k3;
        // Position of the first element in a tile buffer; the others follow at _d1, _d2, _d3 from it.
        private readonly int _at;
        private readonly int _d1, _d2, _d3;

        private StagingPlan(int pitch, int origin, int limit, int i0, int i1, int i2, int i3, int k0, int k1, int k2, int k3, int d1, int d2, int d3)
        {
            _i0 = origin + i0 < limit ? origin + i0 : 0;
            _i1 = origin + i1 < limit ? origin + i1 : 0;
            _i2 = origin + i2 < limit ? origin + i2 : 0;
            _i3 = origin + i3 < limit ? origin + i3 : 0;
            _k0 = k0; _k1 = k1; _k2 = k2; _k3 = k3;
            _at = k0 * pitch + i0;
            _d1 = d1; // constants of the shape, so the stores take immediate offsets
            _d2 = d2;
            _d3 = d3;
        }

        /// <summary>The plan for an operand whose tile is <paramref name="width"/> wide and <paramref name="depth"/> deep, starting at <paramref name="origin"/> of <paramref name="limit"/> along its width.</summary>
        public static StagingPlan For(bool kContiguous, bool splitsK, int width, int depth, int pitch, int origin, int limit, int thread)
        {
            if (kContiguous)
            {
                int k = thread % depth, i = thread / depth, step = Threads / depth;
                return new StagingPlan(pitch, origin, limit, i, i + step, i + 2 * step, i + 3 * step, k, k, k, k, step, 2 * step, 3 * step);
            }
            else if (!splitsK)
            {
                // A matrix: one index and four k, which keeps fewer registers live than four indices.
                int i = thread % width, k = thread / width, step = Threads / width;
                return new StagingPlan(pitch, origin, limit, i, i, i, i, k, k + step, k + 2 * step, k + 3 * step, step * pitch, 2 * step * pitch, 3 * step * pitch);
            }
            else
            {
                // 8 warps of 32: per warp and k, `perK` runs of 32 along the width (4 at 128, 2 at 64).
                int lane = thread % 32, k = thread / 32, perK = width / 32;
                int i1 = lane + 32 * (1 % perK), i2 = lane + 32 * (2 % perK), i3 = lane + 32 * (3 % perK);
                int k1 = k + 8 * (1 / perK), k2 = k + 8 * (2 / perK), k3 = k + 8 * (3 / perK);
                return new StagingPlan(pitch, origin, limit, lane, i1, i2, i3, k, k1, k2, k3,
                    32 * (1 % perK) + 8 * pitch * (1 / perK), 32 * (2 % perK) + 8 * pitch * (2 / perK), 32 * (3 % perK) + 8 * pitch * (3 / perK));
            }
        }

        /// <summary>The A values of the tile starting at K index <paramref name="k0"/>: zero past K unless the tile is <paramref name="full"/>.</summary>
        public Staged4 LoadA<TA>(TA op, ArrayView<float> data, ArrayView<float> mask, GemmParams p, int k0, bool full)
            where TA : struct, IGemmOperand<TA>
        {
            var s = default(Staged4);
            if (full)
            {
                s.V0 = op.Load(data, mask, _i0, k0 + _k0, p.Lda);
                s.V1 = op.Load(data, mask, _i1, k0 + _k1, p.Lda);
                s.V2 = op.Load(data, mask, _i2, k0 + _k2, p.Lda);
                s.V3 = op.Load(data, mask, _i3, k0 + _k3, p.Lda);
            }
            else
            {
                s.V0 = EdgeA(op, data, mask, p, _i0, k0 + _k0);
                s.V1 = EdgeA(op, data, mask, p, _i1, k0 + _k1);
                s.V2 = EdgeA(op, data, mask, p, _i2, k0 + _k2);
                s.V3 = EdgeA(op, data, mask, p, _i3, k0 + _k3);
            }
            return s;
        }

        /// <summary>The B values of the tile starting at K index <paramref name="k0"/>: zero past K unless the tile is <paramref name="full"/>.</summary>
        public Staged4 LoadB<TB>(TB op, ArrayView<float> data, ArrayView<float> mask, GemmParams p, int k0, bool full)
            where TB : struct, IGemmOperand<TB>
        {
            var s = default(Staged4);
            if (full)
            {
                s.V0 = op.Load(data, mask, k0 + _k0, _i0, p.Ldb);
                s.V1 = op.Load(data, mask, k0 + _k1, _i1, p.Ldb);
                s.V2 = op.Load(data, mask, k0 + _k2, _i2, p.Ldb);
                s.V3 = op.Load(data, mask, k0 + _k3, _i3, p.Ldb);
            }
            else
            {
                s.V0 = EdgeB(op, data, mask, p, _i0, k0 + _k0);
                s.V1 = EdgeB(op, data, mask, p, _i1, k0 + _k1);
                s.V2 = EdgeB(op, data, mask, p, _i2, k0 + _k2);
                s.V3 = EdgeB(op, data, mask, p, _i3, k0 + _k3);
            }
            return s;
        }

        /// <summary>Stores the values into the tile buffer starting at <paramref name="buffer"/>.</summary>
        public void Put(ArrayView<float> tile, int buffer, Staged4 s)
        {
            // One address; the others are constant offsets from it (the shape is a compile-time constant).
            var at = tile.SubView(buffer + _at);
            at[0] = s.V0;
            at[_d1] = s.V1;
            at[_d2] = s.V2;
            at[_d3] = s.V3;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float EdgeA<TA>(TA op, ArrayView<float> data, ArrayView<float> mask, GemmParams p, int row, int k)
            where TA : struct, IGemmOperand<TA>
        {
            bool inside = k < p.K;
            float value = op.Load(data, mask, row, inside ? k : 0, p.Lda);
            return inside ? value : 0f;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float EdgeB<TB>(TB op, ArrayView<float> data, ArrayView<float> mask, GemmParams p, int col, int k)
            where TB : struct, IGemmOperand<TB>
        {
            bool inside = k < p.K;
            float value = op.Load(data, mask, inside ? k : 0, col, p.Ldb);
            return inside ? value : 0f;
        }
    }
}
