using Engine.Kernels.Convolution;
using ILGPU;

namespace Engine.Ops.Convolution;

/// <summary>
/// im2col and col2im as host code for the CPU accelerator (see <see cref="HostPath"/>), with the
/// kernels' exact semantics: the same layout, zeros outside the image, and col2im summing each
/// pixel's taps in the kernel's order, so both paths give identical results.
/// </summary>
internal static unsafe class HostLowering
{
    /// <summary>cols <c>[images, Cin*KH*KW, OutH*OutW]</c> from x images <c>[first, first + images)</c>.</summary>
    internal static void Im2Col(ArrayView<float> x, ArrayView<float> cols, in ConvGeometry geometry, int first, int images)
    {
        float* source = HostPath.Pointer(x), target = HostPath.Pointer(cols);
        var g = geometry;
        int columns = g.OutH * g.OutW, rows = g.InChannels * g.KH * g.KW;
        HostPath.For(images * g.InChannels, item =>
        {
            int image = item / g.InChannels, c = item % g.InChannels;
            float* plane = source + ((long)(first + image) * g.InChannels + c) * g.H * g.W;
            for (int kh = 0; kh < g.KH; kh++)
            {
                for (int kw = 0; kw < g.KW; kw++)
                {
                    float* row = target + ((long)image * rows + (c * g.KH + kh) * g.KW + kw) * columns;
                    for (int oh = 0; oh < g.OutH; oh++)
                    {
                        int h = oh * g.StrideH - g.PadH + kh * g.DilationH;
                        float* output = row + oh * g.OutW;
                        if (h < 0 || h >= g.H)
                        {
                            new Span<float>(output, g.OutW).Clear();
                            continue;
                        }
                        float* input = plane + (long)h * g.W;
                        for (int ow = 0; ow < g.OutW; ow++)
                        {
                            int w = ow * g.StrideW - g.PadW + kw * g.DilationW;
                            output[ow] = w >= 0 && w < g.W ? input[w] : 0f;
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// dx images <c>[first, first + images)</c> (+)= col2im(dcols). Each (image, channel) plane is
    /// summed by one thread into a zeroed buffer, taps in (kh, kw) order as the kernel's gather
    /// adds them, then stored or added to dx: the same sums in the same order, so the same bits.
    /// </summary>
    internal static void Col2Im(ArrayView<float> dcols, ArrayView<float> dx, in ConvGeometry geometry, int first, int images, bool accumulate)
    {
        float* source = HostPath.Pointer(dcols), target = HostPath.Pointer(dx);
        var g = geometry;
        int columns = g.OutH * g.OutW, planeSize = g.H * g.W;
        HostPath.For(images * g.InChannels, item =>
        {
            int image = item / g.InChannels, c = item % g.InChannels;
            float* plane = target + ((long)(first + image) * g.InChannels + c) * planeSize;
            float[] buffer = System.Buffers.ArrayPool<float>.Shared.Rent(planeSize);
            try
            {
                fixed (float* sum = buffer)
                {
                    new Span<float>(sum, planeSize).Clear();
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            float* row = source + ((long)image * g.InChannels * g.KH * g.KW + (c * g.KH + kh) * g.KW + kw) * columns;
                            for (int oh = 0; oh < g.OutH; oh++)
                            {
                                int h = oh * g.StrideH - g.PadH + kh * g.DilationH;
                                if (h < 0 || h >= g.H)
                                    continue;
                                float* input = row + oh * g.OutW;
                                float* output = sum + (long)h * g.W;
                                for (int ow = 0; ow < g.OutW; ow++)
                                {
                                    int w = ow * g.StrideW - g.PadW + kw * g.DilationW;
                                    if (w >= 0 && w < g.W)
                                        output[w] += input[ow];
                                }
                            }
                        }
                    }
                    for (int p = 0; p < planeSize; p++)
                        plane[p] = accumulate ? plane[p] + sum[p] : sum[p];
                }
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(buffer);
            }
        });
    }
}
