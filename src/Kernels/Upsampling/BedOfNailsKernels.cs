using ILGPU;

namespace Engine.Kernels.Upsampling;

/// <summary>
/// The backward pass of "bed of nails" unpooling, which puts each value at the top-left corner of
/// its <c>s x s</c> block (the forward pass is the transposed convolution's zero-dilation,
/// <c>ConvTransposeKernels.ZeroDilate</c> with no padding): it gathers those corners.
/// </summary>
public static class BedOfNailsKernels
{
    /// <summary><c>dx[p, i, j] (+)= dy[p, i s, j s]</c>; one work-item per input element.</summary>
    [Loader("BedOfNails.Backward")]
    public static void Backward(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<float> dx, int h, int w, int factor, int accumulate)
    {
        int outW = w * factor;
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int col = i % w;
            int rest = i / w;
            int row = rest % h;
            int plane = rest / h;
            float g = dy[((long)plane * h * factor + (long)row * factor) * outW + (long)col * factor];
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }
}
