using Engine.Devices;
using Engine.Kernels.Convolution;

namespace Engine.Ops.Convolution;

/// <summary>
/// The one rule for "may this convolution take its ReLU's backward pass": read by the graph
/// (<c>Conv2dNode</c>, when it plans the fusion), by <see cref="Conv2dOp"/> (when a backward pass
/// is asked through a ReLU) and by <see cref="ImplicitConvolution"/> (which refuses what the rule
/// refuses), so the three cannot disagree.
/// </summary>
internal static class ConvReluFusion
{
    /// <summary>
    /// True when the backward pass of a convolution of geometry <paramref name="g"/> on
    /// <paramref name="device"/> reads its output gradient through the ReLU on the fly: only implicit
    /// GEMM does, and only for products it runs itself. A strided convolution's input gradient runs as
    /// GEMM + col2im (unmasked), and a bias gradient without the weight gradient as a plain sum
    /// (<paramref name="biasWithoutWeights"/>); elsewhere the gradient through the ReLU is written out first.
    /// </summary>
    internal static bool TakesReluBackward(ComputeDevice device, in ConvGeometry g, bool inputGradient, bool biasWithoutWeights) =>
        !biasWithoutWeights && !(inputGradient && IsStrided(g)) && device.Paths.Convolution == ConvolutionPath.Implicit;

    /// <summary>True when either stride exceeds 1 (such an input gradient runs as GEMM + col2im on every path but the host's).</summary>
    internal static bool IsStrided(in ConvGeometry g) => g.StrideH > 1 || g.StrideW > 1;
}
