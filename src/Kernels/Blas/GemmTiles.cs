using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// Staging of GEMM operand tiles into shared memory for the block-tiled kernels, read coalesced
/// whichever way an operand is stored: work-item <c>e</c> of a group takes the element whose
/// address follows work-item <c>e - 1</c>'s along the operand's contiguous axis. Tiles are stored
/// k-major (<c>tile[kk * pitch + i]</c>) with a pitch one more than the tile's width, so the stores
/// of neighbouring work-items walking k fall in different shared-memory banks.
/// </summary>
public static class GemmTiles
{
    /// <summary>
    /// Element <paramref name="e"/> of the A tile (rows <c>[row0, row0 + rows)</c> of op(A), K
    /// columns <c>[k0, k0 + depth)</c>), read from global memory: zero past the edges, every index
    /// clamped in bounds (a select may load it anyway). Returns the value and its tile position.
    /// </summary>
    public static float LoadA<TA>(TA op, ArrayView<float> a, ArrayView<float> aMask, long aBase, GemmParams p, int row0, int k0, int rows, int depth, int e, out int kk, out int r)
        where TA : struct, IGemmOperand
    {
        if (op.ColumnsContiguous)
        {
            kk = e % depth; // A as stored: K is the contiguous axis
            r = e / depth;
        }
        else
        {
            r = e % rows; // A transposed: M is
            kk = e / rows;
        }
        int row = row0 + r, k = k0 + kk;
        bool inside = row < p.M && k < p.K;
        float value = op.Load(a, aMask, aBase, inside ? row : 0, inside ? k : 0, p.Lda);
        return inside ? value : 0f;
    }

    /// <summary>Element <paramref name="e"/> of the B tile (K rows <c>[k0, k0 + depth)</c>, columns <c>[col0, col0 + cols)</c> of op(B)); as <see cref="LoadA"/>.</summary>
    public static float LoadB<TB>(TB op, ArrayView<float> b, ArrayView<float> bMask, long bBase, GemmParams p, int k0, int col0, int cols, int depth, int e, out int kk, out int c)
        where TB : struct, IGemmOperand
    {
        if (op.ColumnsContiguous)
        {
            c = e % cols; // B as stored: N is the contiguous axis
            kk = e / cols;
        }
        else
        {
            kk = e % depth; // B transposed: K is
            c = e / depth;
        }
        int k = k0 + kk, col = col0 + c;
        bool inside = k < p.K && col < p.N;
        float value = op.Load(b, bMask, bBase, inside ? k : 0, inside ? col : 0, p.Ldb);
        return inside ? value : 0f;
    }

    /// <summary>
    /// One step's share of the A and B tiles for work-item <paramref name="thread"/> of a group of
    /// <paramref name="threads"/>: four elements of each (tiles of <c>4 * threads</c> elements), read
    /// from global memory into registers; <see cref="StagedTiles.Put"/> writes them to shared memory.
    /// </summary>
    public static StagedTiles Stage<TA, TB>(TA opA, TB opB, ArrayView<float> a, ArrayView<float> aMask, ArrayView<float> b, ArrayView<float> bMask, long aBase, long bBase, GemmParams p,
        int row0, int col0, int k0, int rows, int cols, int depth, int pitchA, int pitchB, int thread, int threads)
        where TA : struct, IGemmOperand
        where TB : struct, IGemmOperand
    {
        var s = default(StagedTiles);
        s.A0 = LoadA(opA, a, aMask, aBase, p, row0, k0, rows, depth, thread, out int ka0, out int ra0);
        s.A1 = LoadA(opA, a, aMask, aBase, p, row0, k0, rows, depth, thread + threads, out int ka1, out int ra1);
        s.A2 = LoadA(opA, a, aMask, aBase, p, row0, k0, rows, depth, thread + 2 * threads, out int ka2, out int ra2);
        s.A3 = LoadA(opA, a, aMask, aBase, p, row0, k0, rows, depth, thread + 3 * threads, out int ka3, out int ra3);
        s.B0 = LoadB(opB, b, bMask, bBase, p, k0, col0, cols, depth, thread, out int kb0, out int cb0);
        s.B1 = LoadB(opB, b, bMask, bBase, p, k0, col0, cols, depth, thread + threads, out int kb1, out int cb1);
        s.B2 = LoadB(opB, b, bMask, bBase, p, k0, col0, cols, depth, thread + 2 * threads, out int kb2, out int cb2);
        s.B3 = LoadB(opB, b, bMask, bBase, p, k0, col0, cols, depth, thread + 3 * threads, out int kb3, out int cb3);
        s.AtA0 = ka0 * pitchA + ra0; s.AtA1 = ka1 * pitchA + ra1; s.AtA2 = ka2 * pitchA + ra2; s.AtA3 = ka3 * pitchA + ra3;
        s.AtB0 = kb0 * pitchB + cb0; s.AtB1 = kb1 * pitchB + cb1; s.AtB2 = kb2 * pitchB + cb2; s.AtB3 = kb3 * pitchB + cb3;
        return s;
    }

    /// <summary><c>C[row, col] = alpha * value + beta * C[row, col]</c> inside the matrix; C is not read when beta is 0 (it may hold NaN).</summary>
    public static void Store(ArrayView<float> c, long cBase, int row, int col, float value, GemmParams p)
    {
        if (row >= p.M || col >= p.N)
            return;
        long at = cBase + (long)row * p.Ldc + col;
        c[at] = p.Beta == 0f ? p.Alpha * value : p.Alpha * value + p.Beta * c[at];
    }
}

/// <summary>One work-item's four A and four B values of a GEMM step, held in registers, and where they go in the shared tiles.</summary>
public struct StagedTiles
{
    /// <summary>Values and tile positions (see <see cref="GemmTiles.Stage"/>).</summary>
    public float A0, A1, A2, A3, B0, B1, B2, B3;
    /// <summary>Positions in the A and B tiles.</summary>
    public int AtA0, AtA1, AtA2, AtA3, AtB0, AtB1, AtB2, AtB3;

    /// <summary>Writes the values into the tiles starting at <paramref name="a"/> and <paramref name="b"/> (a buffer's offset).</summary>
    public readonly void Put(ArrayView<float> tileA, ArrayView<float> tileB, int a, int b)
    {
        tileA[a + AtA0] = A0; tileA[a + AtA1] = A1; tileA[a + AtA2] = A2; tileA[a + AtA3] = A3;
        tileB[b + AtB0] = B0; tileB[b + AtB1] = B1; tileB[b + AtB2] = B2; tileB[b + AtB3] = B3;
    }
}
