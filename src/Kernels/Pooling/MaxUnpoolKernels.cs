using ILGPU;

namespace Engine.Kernels.Pooling;

/// <summary>
/// Max unpooling: places each value at the flat position its pooling index names.
/// </summary>
public static class MaxUnpoolKernels
{
    /// <summary>
    /// One work-item per (n, c) plane writes that plane's values in row-major order, so where two
    /// indices coincide the later value wins on every backend (as PyTorch's CPU kernel does).
    /// The output must be zeroed first. Indices outside <c>[0, outPlane)</c> are skipped.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index plane: Plane index over N * C.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Pooled values <c>[N, C, H, W]</c>.</param>
    /// <param name="indices">Flat positions in the output plane <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C, OutH, OutW]</c>, zeroed.</param>
    /// <param name="inPlane">H * W.</param>
    /// <param name="outPlane">OutH * OutW.</param>
    [Loader("MaxUnpool.Forward")]
    public static void Forward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<int> indices, ArrayView<float> y, int inPlane, int outPlane)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D plane = element;
            long inBase = (long)(int)plane * inPlane;
            long outBase = (long)(int)plane * outPlane;
            for (int s = 0; s < inPlane; s++)
            {
                int target = indices[inBase + s];
                if (target >= 0 && target < outPlane)
                    y[outBase + target] = x[inBase + s];
            }
        }
    }

    /// <summary>
    /// Gather: <c>dx[n, c, h, w] = dy[n, c].flat[indices[n, c, h, w]]</c> (0 for an index out of range).
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat index over N * C * H * W.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="dy">Output gradient <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="indices">Flat positions <c>[N, C, H, W]</c>.</param>
    /// <param name="dx">Input gradient <c>[N, C, H, W]</c>.</param>
    /// <param name="inPlane">H * W.</param>
    /// <param name="outPlane">OutH * OutW.</param>
    /// <param name="accumulate">1 to add to dx, 0 to overwrite it.</param>
    [Loader("MaxUnpool.Backward")]
    public static void Backward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, int inPlane, int outPlane, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int target = indices[i];
            long plane = i / inPlane;
            bool inside = target >= 0 && target < outPlane;
            float v = dy[plane * outPlane + (inside ? target : 0)]; // always a valid index
            float g = inside ? v : 0f;
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }
}
