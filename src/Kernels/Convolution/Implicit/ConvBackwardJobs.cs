namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// The operands and epilogues of a convolution's backward products, run by one launch
/// (<see cref="ImplicitConvKernels.Backward128"/>): the input gradient
/// (<see cref="ConvWeightsTransposed"/> times <see cref="ConvGradientColumns"/>) and the weight
/// gradient (<see cref="ConvGradientRows"/> times <see cref="ConvColumnsTransposed"/>, with the
/// bias gradient as its last column).
/// </summary>
public readonly struct ConvBackwardJobs
{
    /// <summary>A of the input gradient.</summary>
    public readonly ConvWeightsTransposed InputA;
    /// <summary>B of the input gradient.</summary>
    public readonly ConvGradientColumns InputB;
    /// <summary>The input gradient's epilogue (plain, or a transposed convolution's bias).</summary>
    public readonly ConvOutputEpilogue InputEpilogue;
    /// <summary>A of the weight gradient.</summary>
    public readonly ConvGradientRows WeightA;
    /// <summary>B of the weight gradient.</summary>
    public readonly ConvColumnsTransposed WeightB;
    /// <summary>The weight gradient's epilogue.</summary>
    public readonly WeightBiasEpilogue WeightEpilogue;

    /// <summary>Both products' operands and epilogues.</summary>
    public ConvBackwardJobs(ConvWeightsTransposed inputA, ConvGradientColumns inputB, ConvOutputEpilogue inputEpilogue,
        ConvGradientRows weightA, ConvColumnsTransposed weightB, WeightBiasEpilogue weightEpilogue)
    {
        InputA = inputA;
        InputB = inputB;
        InputEpilogue = inputEpilogue;
        WeightA = weightA;
        WeightB = weightB;
        WeightEpilogue = weightEpilogue;
    }
}
