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
    /// Per-channel sum of an NCHW tensor seen as <c>[N, C, plane]</c>:
    /// <c>y[c] = (accumulate ? y[c] : 0) + sum_n sum_s x[n, c, s]</c> (a bias gradient).
    /// One work-item per channel, images then pixels in order.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index c: Channel.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input <c>[N, C, plane]</c>.</param>
    /// <param name="y">Output <c>[C]</c>.</param>
    /// <param name="n">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="plane">Elements per channel per image.</param>
    /// <param name="accumulate">1 to add to y, 0 to overwrite it.</param>
    public static void ChannelSum(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, int n, int channels, int plane, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D c = element;
            float sum = 0f;
            for (int image = 0; image < n; image++)
            {
                long at = ((long)image * channels + c) * plane;
                for (int s = 0; s < plane; s++)
                    sum += x[at + s];
            }
            y[c] = accumulate != 0 ? y[c] + sum : sum;
        }
    }

    /// <summary>
    /// First stage of a deterministic full sum: <c>partial[b] = sum of x[b * chunk .. (b + 1) * chunk)</c>
    /// (clipped at <paramref name="length"/>), each chunk by one work-item in order.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index b: Chunk index.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Input values.</param>
    /// <param name="partial">One sum per chunk.</param>
    /// <param name="length">Number of values in x.</param>
    /// <param name="chunk">Values per chunk.</param>
    public static void SumChunks(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> partial, long length, int chunk)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D b = element;
            long start = (long)(int)b * chunk;
            long end = start + chunk < length ? start + chunk : length;
            float sum = 0f;
            for (long j = start; j < end; j++)
                sum += x[j];
            partial[b] = sum;
        }
    }
}

