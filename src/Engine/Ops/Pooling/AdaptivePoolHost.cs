using Engine.Devices;
using Engine.Kernels.Pooling;
using ILGPU;

namespace Engine.Ops.Pooling;

/// <summary>
/// Adaptive pooling on the CPU accelerator's buffers (see <see cref="HostPath"/>), plane by plane
/// with the window bounds computed once per call instead of per element. The forward passes scan
/// each window as the kernels do (row-major; <c>sum / kh / kw</c>; first maximum, NaN wins); the
/// backward passes add each output's contribution to its window (average) or argmax (max) in the
/// outputs' row-major order, which is the order in which the kernels' gathers sum them, into a
/// zeroed plane: the same sums, the same bits.
/// </summary>
internal static unsafe class AdaptivePoolHost
{
    private readonly record struct Bounds(int[] RowStart, int[] RowEnd, int[] ColStart, int[] ColEnd);

    private static Bounds Windows(AdaptivePoolGeometry g)
    {
        int outH = g.OutH.Divisor, outW = g.OutW.Divisor;
        var b = new Bounds(new int[outH], new int[outH], new int[outW], new int[outW]);
        for (int oh = 0; oh < outH; oh++)
            (b.RowStart[oh], b.RowEnd[oh]) = (g.RowStart(oh), g.RowEnd(oh));
        for (int ow = 0; ow < outW; ow++)
            (b.ColStart[ow], b.ColEnd[ow]) = (g.ColStart(ow), g.ColEnd(ow));
        return b;
    }

    private static long MinPlanes(int perPlane) => Math.Max(1, (1 << 14) / Math.Max(perPlane, 1));

    internal static void AvgForward(ArrayView<float> x, ArrayView<float> y, AdaptivePoolGeometry g)
    {
        float* px = HostPath.Pointer(x), py = HostPath.Pointer(y);
        int h = g.H.Divisor, w = g.W.Divisor, outH = g.OutH.Divisor, outW = g.OutW.Divisor;
        var b = Windows(g);
        HostPath.Chunks(g.Planes, MinPlanes(h * w), (first, count) =>
        {
            for (long plane = first; plane < first + count; plane++)
            {
                float* input = px + plane * h * w;
                float* output = py + plane * outH * outW;
                for (int oh = 0; oh < outH; oh++)
                {
                    int h0 = b.RowStart[oh], h1 = b.RowEnd[oh];
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int w0 = b.ColStart[ow], w1 = b.ColEnd[ow];
                        float sum = 0f;
                        for (int r = h0; r < h1; r++)
                            for (int c = w0; c < w1; c++)
                                sum += input[r * w + c];
                        output[oh * outW + ow] = sum / (h1 - h0) / (w1 - w0);
                    }
                }
            }
        });
    }

    internal static void AvgBackward(ArrayView<float> dy, ArrayView<float> dx, AdaptivePoolGeometry g, bool accumulate)
    {
        float* pdy = HostPath.Pointer(dy), pdx = HostPath.Pointer(dx);
        int w = g.W.Divisor, outH = g.OutH.Divisor, outW = g.OutW.Divisor, planeSize = g.H.Divisor * w;
        var b = Windows(g);
        HostPath.PlaneSums(g.Planes, planeSize, MinPlanes(planeSize), pdx, accumulate, (plane, sum) =>
        {
            float* gradient = pdy + plane * outH * outW;
            for (int oh = 0; oh < outH; oh++)
            {
                int h0 = b.RowStart[oh], h1 = b.RowEnd[oh], kh = h1 - h0;
                for (int ow = 0; ow < outW; ow++)
                {
                    int w0 = b.ColStart[ow], w1 = b.ColEnd[ow];
                    float share = gradient[oh * outW + ow] / kh / (w1 - w0);
                    for (int r = h0; r < h1; r++)
                        for (int c = w0; c < w1; c++)
                            sum[r * w + c] += share;
                }
            }
        });
    }

    internal static void MaxForward(ArrayView<float> x, ArrayView<float> y, ArrayView<int> indices, AdaptivePoolGeometry g)
    {
        float* px = HostPath.Pointer(x), py = HostPath.Pointer(y);
        int* pi = HostPath.Pointer(indices);
        int h = g.H.Divisor, w = g.W.Divisor, outH = g.OutH.Divisor, outW = g.OutW.Divisor;
        var b = Windows(g);
        HostPath.Chunks(g.Planes, MinPlanes(h * w), (first, count) =>
        {
            for (long plane = first; plane < first + count; plane++)
            {
                float* input = px + plane * h * w;
                long outBase = plane * outH * outW;
                for (int oh = 0; oh < outH; oh++)
                {
                    int h0 = b.RowStart[oh], h1 = b.RowEnd[oh];
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int w0 = b.ColStart[ow], w1 = b.ColEnd[ow];
                        float best = float.NegativeInfinity;
                        int bestIndex = -1;
                        for (int r = h0; r < h1; r++)
                        {
                            for (int c = w0; c < w1; c++)
                            {
                                int flat = r * w + c;
                                float v = input[flat];
                                if (bestIndex < 0 || v > best || float.IsNaN(v))
                                {
                                    best = v;
                                    bestIndex = flat;
                                }
                            }
                        }
                        py[outBase + oh * outW + ow] = best;
                        pi[outBase + oh * outW + ow] = bestIndex;
                    }
                }
            }
        });
    }

    internal static void MaxBackward(ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, AdaptivePoolGeometry g, bool accumulate) =>
        MaxPoolHost.RouteToArgmax(dy, indices, dx, g.Planes, g.H.Divisor * g.W.Divisor, g.OutH.Divisor * g.OutW.Divisor, accumulate);
}
