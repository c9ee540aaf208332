using ILGPU;

namespace Engine.Ops.Convolution;

/// <summary>
/// What one implicit-GEMM backward launch computes (<see cref="ImplicitConvolution.Backward"/>): the
/// input gradient when <see cref="Dx"/> is given, the weight gradient when <see cref="Dw"/> is (its
/// bias gradient too with <see cref="Db"/>), read through a ReLU with <see cref="ReluPre"/>. Only what
/// is asked is set; nothing is passed as a placeholder.
/// dy <c>[N, Cout, OutH, OutW]</c>, x and dx <c>[N, Cin, H, W]</c>, w and dw <c>[Cout, CinG, KH, KW]</c>.
/// </summary>
/// <param name="Dy">The output gradient.</param>
internal readonly record struct ConvBackwardRequest(ArrayView<float> Dy)
{
    /// <summary>The weights the input gradient multiplies (needed with <see cref="Dx"/> only).</summary>
    public ArrayView<float>? W { get; init; }

    /// <summary>The forward pass's input, which the weight gradient reads (needed with <see cref="Dw"/> only).</summary>
    public ArrayView<float> X { get; init; }

    /// <summary>The input gradient, written or (with <see cref="AccumulateInput"/>) added to.</summary>
    public ArrayView<float>? Dx { get; init; }

    /// <summary>Whether <see cref="Dx"/> is added to.</summary>
    public bool AccumulateInput { get; init; }

    /// <summary>The weight gradient, written or (with <see cref="AccumulateWeights"/>) added to.</summary>
    public ArrayView<float>? Dw { get; init; }

    /// <summary>The bias gradient <c>[Cout]</c>, the weight gradient's last column (taken with <see cref="Dw"/> only).</summary>
    public ArrayView<float>? Db { get; init; }

    /// <summary>Whether <see cref="Dw"/> and <see cref="Db"/> are added to.</summary>
    public bool AccumulateWeights { get; init; }

    /// <summary>The ReLU's input when <see cref="Dy"/> is the gradient of <c>relu(ReluPre)</c> (<see cref="ConvReluFusion"/>).</summary>
    public ArrayView<float>? ReluPre { get; init; }

    /// <summary>A bias <c>[Cin]</c> added to dx: a transposed convolution's forward pass, which is this input gradient.</summary>
    public ArrayView<float>? OutputBias { get; init; }
}
