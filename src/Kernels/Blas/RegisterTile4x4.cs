using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// The 64x64 block's register tile: work-item <c>(tx, ty)</c> of the 16x16 group accumulates the 4x4
/// outputs at rows <c>4ty + {0..3}</c> and columns <c>4tx + {0..3}</c>. Each k step reads one vector of
/// A and one of B from shared memory (<c>LDS.128</c>) for 16 multiply-adds; a staged tile is 16
/// steps, unrolled. Fields <c>Crc</c> hold row r, column c of the tile.
/// </summary>
public struct RegisterTile4x4 : IRegisterTile<RegisterTile4x4>
{
    // The accumulators, row-major.
    private float C00, C01, C02, C03;
    private float C10, C11, C12, C13;
    private float C20, C21, C22, C23;
    private float C30, C31, C32, C33;

    /// <inheritdoc/>
    public readonly int BlockRows => 64;

    /// <inheritdoc/>
    public readonly int BlockCols => 64;

    /// <inheritdoc/>
    public readonly int Depth => 16;

    /// <inheritdoc/>
    public readonly int Pitch => 68;

    /// <inheritdoc/>
    public readonly RegisterTile4x4 MultiplyTile(ArrayView<Vector4> tileA, ArrayView<Vector4> tileB)
    {
        // Four k per iteration (32 fragment registers beside 16 accumulators): the loop's own
        // instructions are a quarter of a one-k loop's. Past the last k the views point at the
        // spare row that follows the tile.
        var t = this;
        for (int k = 0; k < 16; k += 4)
        {
            t = Step(t, tileA[0], tileB[0]);
            t = Step(t, tileA[17], tileB[17]);
            t = Step(t, tileA[2 * 17], tileB[2 * 17]);
            t = Step(t, tileA[3 * 17], tileB[3 * 17]);
            tileA = tileA.SubView(4 * 17);
            tileB = tileB.SubView(4 * 17);
        }
        return t;
    }

    // One k: rows a.X..a.W times columns b.X..b.W, each accumulator in turn.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RegisterTile4x4 Step(RegisterTile4x4 t, Vector4 a, Vector4 b)
    {
        t.C00 += a.X * b.X;
        t.C01 += a.X * b.Y;
        t.C02 += a.X * b.Z;
        t.C03 += a.X * b.W;
        t.C10 += a.Y * b.X;
        t.C11 += a.Y * b.Y;
        t.C12 += a.Y * b.Z;
        t.C13 += a.Y * b.W;
        t.C20 += a.Z * b.X;
        t.C21 += a.Z * b.Y;
        t.C22 += a.Z * b.Z;
        t.C23 += a.Z * b.W;
        t.C30 += a.W * b.X;
        t.C31 += a.W * b.Y;
        t.C32 += a.W * b.Z;
        t.C33 += a.W * b.W;
        return t;
    }

    /// <inheritdoc/>
    public readonly void Store<TE>(TE epilogue, ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row0, int col0, GemmParams p)
        where TE : struct, IGemmEpilogue
    {
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 0, col0 + 0, C00, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 0, col0 + 1, C01, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 0, col0 + 2, C02, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 0, col0 + 3, C03, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 0, C10, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 1, C11, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 2, C12, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 3, C13, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 0, C20, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 1, C21, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 2, C22, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 3, C23, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 0, C30, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 1, C31, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 2, C32, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 3, C33, p);
    }
}
