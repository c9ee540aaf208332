namespace Engine.Ops.Convolution;

/// <summary>
/// How a convolution's weight gradient splits its GEMM over the images (split-K): a weight tensor
/// of a few thousand values is one small GEMM however deep its K, a handful of thread blocks on a
/// GPU with over a hundred multiprocessors; cut into slices of whole images computed side by side,
/// it keeps the GPU busy, and the slices' partial results are then summed in order. The split
/// depends on the shape only (never on the device), so every device adds in the same order.
/// </summary>
/// <param name="ImagesPerSlice">Images whose columns one slice multiplies.</param>
internal readonly record struct WeightGradientSlicing(int ImagesPerSlice)
{
    /// <summary>Values the slices' partial results should hold together: a million keeps 64k work-items busy at 16 results each.</summary>
    internal const long TargetPartialValues = 1L << 20;

    /// <summary>Fewest columns (K) a slice multiplies, so writing its partial result stays small beside its arithmetic.</summary>
    internal const int MinSliceDepth = 1024;

    /// <summary>Most bytes of partial results.</summary>
    internal const long PartialBudgetBytes = 64L << 20;

    /// <summary>The slicing for <paramref name="weights"/> gradient values over chunks of up to <paramref name="images"/> images of <paramref name="columns"/> columns each.</summary>
    internal static WeightGradientSlicing For(long weights, int images, int columns)
    {
        long wanted = Math.Min((TargetPartialValues + weights - 1) / weights, PartialBudgetBytes / (4 * weights));
        int slices = (int)Math.Clamp(wanted, 1, images);
        int perSlice = (images + slices - 1) / slices;
        int minImages = (MinSliceDepth + columns - 1) / columns;
        return new WeightGradientSlicing(Math.Clamp(Math.Max(perSlice, minImages), 1, images));
    }

    /// <summary>Slices a run of <paramref name="images"/> images makes (the last may hold fewer images).</summary>
    internal int Slices(int images) => (images + ImagesPerSlice - 1) / ImagesPerSlice;
}
