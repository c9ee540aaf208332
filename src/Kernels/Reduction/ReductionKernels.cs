using ILGPU;

namespace Engine.Kernels.Reduction;

/// <summary>
/// Reductions written so that every output is produced by exactly one work-item walking its
/// inputs in a fixed order: deterministic on every backend, with no atomics.
/// </summary>
public static class ReductionKernels
{
    /// <summary>
    /// Sums a tensor seen as <c>[outer, axis, inner]</c> over its middle axis:
    /// <c>y[o, j] = sum_a x[o, a, j]</c>. One work-item per output element.
    /// </summary>
    /// <param name="i">Flat output index over <c>outer * inner</c>.</param>
    /// <param name="x">Input <c>[outer, axis, inner]</c>.</param>
    /// <param name="y">Output <c>[outer, inner]</c>.</param>
    /// <param name="axis">Length of the summed axis.</param>
    /// <param name="inner">Product of the dimensions after the summed axis.</param>
    public static void SumAxis(Index1D i, ArrayView<float> x, ArrayView<float> y, int axis, int inner)
    {
        int o = i / inner;
        int j = i - o * inner;
        long at = (long)o * axis * inner + j;
        float sum = 0f;
        for (int a = 0; a < axis; a++)
        {
            sum += x[at];
            at += inner;
        }
        y[i] = sum;
    }
}
