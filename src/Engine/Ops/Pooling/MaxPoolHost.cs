using Engine.Devices;
using Engine.Kernels.Pooling;
using ILGPU;

namespace Engine.Ops.Pooling;

/// <summary>
/// Max pooling with indices on the CPU accelerator's buffers (see <see cref="HostPath"/>), plane by
/// plane with pointers instead of per-element index arithmetic. The forward pass is the kernel's
/// window scan (first maximum, NaN wins, padding never); the backward pass adds each output
/// gradient to its argmax in the windows' row-major order, which is the order in which the
/// kernel's gather sums them, into a zeroed plane: the same sums, the same bits.
/// </summary>
internal static unsafe class MaxPoolHost
{
    internal static void Forward(ArrayView<float> x, ArrayView<float> y, ArrayView<int> indices, PoolGeometry g)
    {
        if (g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0 && g.DilationH == 1 && g.DilationW == 1
            && 2 * g.OutH <= g.H && 2 * g.OutW <= g.W)
        {
            TwoByTwo(x, y, indices, g);
            return;
        }
        float* px = HostPath.Pointer(x), py = HostPath.Pointer(y);
        int* pi = HostPath.Pointer(indices);
        HostPath.Chunks(g.Planes, Math.Max(1, (1 << 14) / (g.OutH * g.OutW)), (first, count) =>
        {
            for (long plane = first; plane < first + count; plane++)
            {
                float* input = px + plane * g.H * g.W;
                long outBase = plane * g.OutH * g.OutW;
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    int h0 = oh * g.StrideH - g.PadH;
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        int w0 = ow * g.StrideW - g.PadW;
                        float best = float.NegativeInfinity;
                        int bestIndex = -1;
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            int h = h0 + kh * g.DilationH;
                            if (h < 0 || h >= g.H)
                                continue;
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int w = w0 + kw * g.DilationW;
                                if (w < 0 || w >= g.W)
                                    continue;
                                int flat = h * g.W + w;
                                float v = input[flat];
                                if (bestIndex < 0 || v > best || float.IsNaN(v))
                                {
                                    best = v;
                                    bestIndex = flat;
                                }
                            }
                        }
                        py[outBase + oh * g.OutW + ow] = best;
                        pi[outBase + oh * g.OutW + ow] = bestIndex;
                    }
                }
            }
        });
    }

    // U-Net's and most encoders' pooling: 2x2 windows, stride 2, no padding, every window inside the
    // plane. The same comparisons as the general scan, in the same order, without its bounds checks.
    private static void TwoByTwo(ArrayView<float> x, ArrayView<float> y, ArrayView<int> indices, PoolGeometry g)
    {
        float* px = HostPath.Pointer(x), py = HostPath.Pointer(y);
        int* pi = HostPath.Pointer(indices);
        HostPath.Chunks(g.Planes, Math.Max(1, (1 << 14) / (g.OutH * g.OutW)), (first, count) =>
        {
            for (long plane = first; plane < first + count; plane++)
            {
                float* input = px + plane * g.H * g.W;
                long outBase = plane * g.OutH * g.OutW;
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    int top = 2 * oh * g.W, bottom = top + g.W;
                    float* output = py + outBase + oh * g.OutW;
                    int* index = pi + outBase + oh * g.OutW;
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        int at = top + 2 * ow;
                        float best = input[at];
                        int bestIndex = at;
                        Consider(input[at + 1], at + 1, ref best, ref bestIndex);
                        Consider(input[bottom + 2 * ow], bottom + 2 * ow, ref best, ref bestIndex);
                        Consider(input[bottom + 2 * ow + 1], bottom + 2 * ow + 1, ref best, ref bestIndex);
                        output[ow] = best;
                        index[ow] = bestIndex;
                    }
                }
            }
        });
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Consider(float v, int flat, ref float best, ref int bestIndex)
    {
        if (v > best || float.IsNaN(v))
        {
            best = v;
            bestIndex = flat;
        }
    }

    internal static void Backward(ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, PoolGeometry g, bool accumulate) =>
        RouteToArgmax(dy, indices, dx, g.Planes, g.H * g.W, g.OutH * g.OutW, accumulate);

    /// <summary>
    /// <c>dx (+)= </c> each plane's output gradients <c>[planes, outputs]</c> summed into the input
    /// positions <c>[planes, planeSize]</c> their arg-max indices name, in output order: the
    /// backward pass of every max pooling (fixed windows or adaptive ones), as its kernel gathers it.
    /// </summary>
    internal static void RouteToArgmax(ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, int planes, int planeSize, int outputs, bool accumulate)
    {
        float* pdy = HostPath.Pointer(dy), pdx = HostPath.Pointer(dx);
        int* pi = HostPath.Pointer(indices);
        HostPath.PlaneSums(planes, planeSize, Math.Max(1, (1 << 14) / planeSize), pdx, accumulate, (plane, sum) =>
        {
            float* gradient = pdy + plane * outputs;
            int* argmax = pi + plane * outputs;
            for (int o = 0; o < outputs; o++)
            {
                int at = argmax[o];
                if (at >= 0 && at < planeSize)
                    sum[at] += gradient[o];
            }
        });
    }
}
