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
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat output index over <c>outer * inner</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[outer, axis, inner]</c>.</param>
    /// <param name="y">Output <c>[outer, inner]</c>.</param>
    /// <param name="axis">Length of the summed axis.</param>
    /// <param name="inner">Product of the dimensions after the summed axis.</param>
    [Loader("SumAxis")]
    public static void SumAxis(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, int axis, int inner)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
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

    /// <summary>
    /// One stage of a deterministic full sum over <paramref name="lanes"/> work-items:
    /// <c>partial[b] = x[b] + x[b + lanes] + x[b + 2 lanes] + ...</c> below <paramref name="length"/>,
    /// in that order, so neighbouring work-items read neighbouring values (coalesced on a GPU).
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index b: Lane.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input values.</param>
    /// <param name="partial">One sum per lane.</param>
    /// <param name="length">Number of values in x.</param>
    /// <param name="lanes">Number of lanes (partial sums).</param>
    [Loader("SumLanes")]
    public static void SumLanes(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> partial, long length, int lanes)
    {
        for (int b = work.Begin(thread); b < work.End(thread); b++)
        {
            float sum = 0f;
            for (long j = b; j < length; j += lanes)
                sum += x[j];
            partial[b] = sum;
        }
    }

    /// <summary>
    /// <c>y[j] = (accumulate ? y[j] : 0) + x[0, j] + x[1, j] + ... + x[slices - 1, j]</c>, slices in
    /// order: the fixed-order reduction of a split-K product's partial results.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index j.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Partial results <c>[slices, length]</c>.</param>
    /// <param name="y">Output <c>[length]</c>.</param>
    /// <param name="length">Values per slice.</param>
    /// <param name="slices">Number of slices.</param>
    /// <param name="accumulate">1 to add to y, 0 to overwrite it.</param>
    [Loader("SumSlices")]
    public static void SumSlices(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, int length, int slices, int accumulate)
    {
        for (int j = work.Begin(thread); j < work.End(thread); j++)
        {
            float sum = accumulate != 0 ? y[j] : 0f;
            long at = j;
            for (int s = 0; s < slices; s++)
            {
                sum += x[at];
                at += length;
            }
            y[j] = sum;
        }
    }

    /// <summary>
    /// <see cref="SumSlices"/> into two outputs: value <c>j</c> of the sum goes to <c>first[j]</c> when
    /// <c>j &lt; firstLength</c>, else to <c>second[j - firstLength]</c> (a weight gradient and its
    /// bias gradient, computed as one product). One work-item per value, slices added in order.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index j: a value of the sum, over <c>length</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Slices <c>[slices, length]</c>.</param>
    /// <param name="first">Receives values <c>[0, firstLength)</c>.</param>
    /// <param name="second">Receives values <c>[firstLength, length)</c>.</param>
    /// <param name="firstLength">Values that go to <paramref name="first"/>.</param>
    /// <param name="length">Values per slice.</param>
    /// <param name="slices">Number of slices.</param>
    /// <param name="accumulate">1 to add to the outputs, 0 to overwrite them.</param>
    [Loader("SumSlicesSplit")]
    public static void SumSlicesSplit(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> first, ArrayView<float> second,
        int firstLength, int length, int slices, int accumulate)
    {
        for (int j = work.Begin(thread); j < work.End(thread); j++)
        {
            bool isFirst = j < firstLength;
            long target = isFirst ? j : j - firstLength;
            float sum = accumulate != 0 ? (isFirst ? first[target] : second[target]) : 0f;
            long at = j;
            for (int s = 0; s < slices; s++)
            {
                sum += x[at];
                at += length;
            }
            if (isFirst)
                first[target] = sum;
            else
                second[target] = sum;
        }
    }
}
