using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace Engine.Kernels.Blas;

/// <summary>
/// The 128x128 block's register tile: work-item <c>(tx, ty)</c> of the 16x16 group accumulates the
/// 8x8 outputs at rows <c>4ty + {0..3}</c> and <c>64 + 4ty + {0..3}</c> and columns <c>4tx + {0..3}</c> and
/// <c>64 + 4tx + {0..3}</c>. Each k step reads two vectors of A and two of B from shared memory
/// (<c>LDS.128</c>) for 64 multiply-adds; a staged tile is 8 steps, unrolled.
/// </summary>
/// <remarks>
/// Rows and columns in fours: a warp's 32 work-items read 2 distinct A vectors (a broadcast) and
/// 16 consecutive B vectors (256 bytes, the two shared-memory transactions 128-bit loads need), and
/// store 16 x 4 consecutive floats of a row of C. Fields <c>Crc</c> hold row r, column c of the tile.
/// </remarks>
public struct RegisterTile8x8 : IRegisterTile<RegisterTile8x8>
{
    // The accumulators, row-major.
    private float C00, C01, C02, C03, C04, C05, C06, C07;
    private float C10, C11, C12, C13, C14, C15, C16, C17;
    private float C20, C21, C22, C23, C24, C25, C26, C27;
    private float C30, C31, C32, C33, C34, C35, C36, C37;
    private float C40, C41, C42, C43, C44, C45, C46, C47;
    private float C50, C51, C52, C53, C54, C55, C56, C57;
    private float C60, C61, C62, C63, C64, C65, C66, C67;
    private float C70, C71, C72, C73, C74, C75, C76, C77;

    /// <inheritdoc/>
    public readonly int BlockRows => 128;

    /// <inheritdoc/>
    public readonly int BlockCols => 128;

    /// <inheritdoc/>
    public readonly int Depth => 8;

    /// <inheritdoc/>
    public readonly int Pitch => 132;

    /// <inheritdoc/>
    public readonly RegisterTile8x8 MultiplyTile(ArrayView<Vector4> tileA, ArrayView<Vector4> tileB)
    {
        // Two k per iteration: 32 fragment registers beside the 64 accumulators, under the 128
        // registers two groups per multiprocessor allow. Past the last k the views point at the
        // spare row that follows the tile.
        var t = this;
        for (int k = 0; k < 8; k += 2)
        {
            t = Step(t, tileA[0], tileA[16], tileB[0], tileB[16]);
            t = Step(t, tileA[33], tileA[33 + 16], tileB[33], tileB[33 + 16]);
            tileA = tileA.SubView(2 * 33);
            tileB = tileB.SubView(2 * 33);
        }
        return t;
    }

    // One k: rows a0.X..a0.W, a1.X..a1.W times columns b0.X..b0.W, b1.X..b1.W, each accumulator in turn.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RegisterTile8x8 Step(RegisterTile8x8 t, Vector4 a0, Vector4 a1, Vector4 b0, Vector4 b1)
    {
        t.C00 += a0.X * b0.X;
        t.C01 += a0.X * b0.Y;
        t.C02 += a0.X * b0.Z;
        t.C03 += a0.X * b0.W;
        t.C04 += a0.X * b1.X;
        t.C05 += a0.X * b1.Y;
        t.C06 += a0.X * b1.Z;
        t.C07 += a0.X * b1.W;
        t.C10 += a0.Y * b0.X;
        t.C11 += a0.Y * b0.Y;
        t.C12 += a0.Y * b0.Z;
        t.C13 += a0.Y * b0.W;
        t.C14 += a0.Y * b1.X;
        t.C15 += a0.Y * b1.Y;
        t.C16 += a0.Y * b1.Z;
        t.C17 += a0.Y * b1.W;
        t.C20 += a0.Z * b0.X;
        t.C21 += a0.Z * b0.Y;
        t.C22 += a0.Z * b0.Z;
        t.C23 += a0.Z * b0.W;
        t.C24 += a0.Z * b1.X;
        t.C25 += a0.Z * b1.Y;
        t.C26 += a0.Z * b1.Z;
        t.C27 += a0.Z * b1.W;
        t.C30 += a0.W * b0.X;
        t.C31 += a0.W * b0.Y;
        t.C32 += a0.W * b0.Z;
        t.C33 += a0.W * b0.W;
        t.C34 += a0.W * b1.X;
        t.C35 += a0.W * b1.Y;
        t.C36 += a0.W * b1.Z;
        t.C37 += a0.W * b1.W;
        t.C40 += a1.X * b0.X;
        t.C41 += a1.X * b0.Y;
        t.C42 += a1.X * b0.Z;
        t.C43 += a1.X * b0.W;
        t.C44 += a1.X * b1.X;
        t.C45 += a1.X * b1.Y;
        t.C46 += a1.X * b1.Z;
        t.C47 += a1.X * b1.W;
        t.C50 += a1.Y * b0.X;
        t.C51 += a1.Y * b0.Y;
        t.C52 += a1.Y * b0.Z;
        t.C53 += a1.Y * b0.W;
        t.C54 += a1.Y * b1.X;
        t.C55 += a1.Y * b1.Y;
        t.C56 += a1.Y * b1.Z;
        t.C57 += a1.Y * b1.W;
        t.C60 += a1.Z * b0.X;
        t.C61 += a1.Z * b0.Y;
        t.C62 += a1.Z * b0.Z;
        t.C63 += a1.Z * b0.W;
        t.C64 += a1.Z * b1.X;
        t.C65 += a1.Z * b1.Y;
        t.C66 += a1.Z * b1.Z;
        t.C67 += a1.Z * b1.W;
        t.C70 += a1.W * b0.X;
        t.C71 += a1.W * b0.Y;
        t.C72 += a1.W * b0.Z;
        t.C73 += a1.W * b0.W;
        t.C74 += a1.W * b1.X;
        t.C75 += a1.W * b1.Y;
        t.C76 += a1.W * b1.Z;
        t.C77 += a1.W * b1.W;
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
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 0, col0 + 64, C04, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 0, col0 + 65, C05, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 0, col0 + 66, C06, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 0, col0 + 67, C07, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 0, C10, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 1, C11, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 2, C12, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 3, C13, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 64, C14, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 65, C15, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 66, C16, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 1, col0 + 67, C17, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 0, C20, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 1, C21, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 2, C22, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 3, C23, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 64, C24, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 65, C25, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 66, C26, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 2, col0 + 67, C27, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 0, C30, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 1, C31, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 2, C32, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 3, C33, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 64, C34, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 65, C35, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 66, C36, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 3, col0 + 67, C37, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 64, col0 + 0, C40, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 64, col0 + 1, C41, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 64, col0 + 2, C42, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 64, col0 + 3, C43, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 64, col0 + 64, C44, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 64, col0 + 65, C45, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 64, col0 + 66, C46, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 64, col0 + 67, C47, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 65, col0 + 0, C50, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 65, col0 + 1, C51, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 65, col0 + 2, C52, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 65, col0 + 3, C53, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 65, col0 + 64, C54, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 65, col0 + 65, C55, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 65, col0 + 66, C56, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 65, col0 + 67, C57, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 66, col0 + 0, C60, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 66, col0 + 1, C61, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 66, col0 + 2, C62, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 66, col0 + 3, C63, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 66, col0 + 64, C64, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 66, col0 + 65, C65, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 66, col0 + 66, C66, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 66, col0 + 67, C67, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 67, col0 + 0, C70, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 67, col0 + 1, C71, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 67, col0 + 2, C72, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 67, col0 + 3, C73, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 67, col0 + 64, C74, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 67, col0 + 65, C75, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 67, col0 + 66, C76, p);
        epilogue.Store(c, aux0, aux1, cBase, batch, row0 + 67, col0 + 67, C77, p);
    }
}
