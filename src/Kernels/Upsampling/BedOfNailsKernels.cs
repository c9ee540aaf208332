using ILGPU;

namespace Engine.Kernels.Upsampling;

/// <summary>
/// "Bed of nails" unpooling: each value goes to the top-left corner of its <c>s x s</c> block of
/// the output, the rest of the block is zero. The backward pass gathers those corners.
/// </summary>
public static class BedOfNailsKernels
{
    /// <summary><c>y[p, r, c] = x[p, r / s, c / s]</c> where <c>r</c> and <c>c</c> are multiples of s, else 0; one work-item per output element.</summary>
    public static void Forward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, int h, int w, int factor)
    {
        int outW = w * factor, outH = h * factor;
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int col = i % outW;
            int rest = i / outW;
            int row = rest % outH;
            int plane = rest / outH;
            bool corner = row % factor == 0 && col % factor == 0;
            long at = corner ? ((long)plane * h + row / factor) * w + col / factor : 0; // always a valid index
            float v = x[at];
            y[i] = corner ? v : 0f;
        }
    }

    /// <summary><c>dx[p, i, j] (+)= dy[p, i s, j s]</c>; one work-item per input element.</summary>
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
