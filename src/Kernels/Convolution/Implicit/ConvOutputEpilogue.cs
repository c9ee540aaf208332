using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// The epilogue of products that are a convolution's output (the forward pass, a transposed
/// convolution's forward pass as an input gradient, the input gradient itself):
/// <c>C = alpha * product + beta * C (+ bias[channel])</c> and, for a fused ReLU, its activation
/// beside it (C keeps the pre-activation that ReLU's backward reads). The same arithmetic as the
/// GEMM's store followed by the separate bias and ReLU kernels, so the same bits.
/// </summary>
public readonly struct ConvOutputEpilogue : IGemmEpilogue
{
    /// <summary><see cref="Plain"/>, <see cref="Bias"/> or <see cref="BiasRelu"/>.</summary>
    public readonly int Mode;

    /// <summary>The product alone.</summary>
    public const int Plain = 0;
    /// <summary>Plus the bias (<c>aux0</c>, the group's channels).</summary>
    public const int Bias = 1;
    /// <summary>Plus the bias, and the ReLU written to <c>aux1</c> (shaped as C).</summary>
    public const int BiasRelu = 2;

    /// <summary>An epilogue of mode <paramref name="mode"/>.</summary>
    public ConvOutputEpilogue(int mode) => Mode = mode;

    /// <inheritdoc/>
    public void Store(ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long cBase, int batch, int row, int col, float value, GemmParams p)
    {
        if (row >= p.M || col >= p.N)
            return;
        Write(Mode, c, aux0, aux1, cBase + (long)row * p.Ldc + col, row, value, p);
    }

    /// <summary>
    /// The epilogue's arithmetic for the output at <paramref name="at"/> of channel <paramref name="row"/>
    /// in mode <paramref name="mode"/> (also <see cref="FoldedOutputEpilogue"/>'s, whose outputs lie elsewhere).
    /// </summary>
    public static void Write(int mode, ArrayView<float> c, ArrayView<float> aux0, ArrayView<float> aux1, long at, int row, float value, GemmParams p)
    {
        float v = p.Beta == 0f ? p.Alpha * value : p.Alpha * value + p.Beta * c[at];
        if (mode != Plain)
            v += aux0[row];
        c[at] = v;
        if (mode == BiasRelu)
            aux1[at] = v < 0f ? 0f : v;
    }
}
