namespace Engine.Ops.Convolution;

/// <summary>
/// How a convolution's weight gradient splits its GEMM along K (split-K): a weight tensor of a few
/// thousand values is one small GEMM however deep its K (all images' positions), a handful of
/// thread blocks on a GPU with over a hundred multiprocessors; cut into slices of K computed side by
/// side by one batched GEMM, it keeps the GPU busy, and the slices' partial results are then summed
/// in order. The split depends on the shape only (never on the device), so every device adds in the
/// same order.
/// </summary>
/// <param name="Depth">Columns (K) one slice multiplies; the last slice may have fewer.</param>
internal readonly record struct WeightGradientSlicing(int Depth)
{
    /// <summary>Values the slices' partial results should hold together: two million give the GPU GEMM's 64x64 tiles (16 results per work-item) 128k work-items, two groups for each of 132 multiprocessors and more.</summary>
    internal const long TargetPartialValues = 1L << 21;

    /// <summary>Fewest columns (K) a slice multiplies, so writing its partial result stays small beside its arithmetic.</summary>
    internal const int MinSliceDepth = 1024;

    /// <summary>Most bytes of partial results.</summary>
    internal const long PartialBudgetBytes = 64L << 20;

    /// <summary>The slicing of a product with <paramref name="weights"/> results over <paramref name="k"/> columns.</summary>
    internal static WeightGradientSlicing For(long weights, long k)
    {
        long wanted = Math.Min((TargetPartialValues + weights - 1) / weights, PartialBudgetBytes / (4 * weights));
        long slices = Math.Clamp(wanted, 1, Math.Max(1, k / MinSliceDepth));
        return new WeightGradientSlicing((int)((k + slices - 1) / slices));
    }

    /// <summary>Slices <paramref name="k"/> columns make.</summary>
    internal int Slices(long k) => (int)((k + Depth - 1) / Depth);
}
