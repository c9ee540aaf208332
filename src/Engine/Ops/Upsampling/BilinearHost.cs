using Engine.Devices;
using Engine.Kernels.Upsampling;
using ILGPU;

namespace Engine.Ops.Upsampling;

/// <summary>
/// Bilinear resampling on the CPU accelerator's buffers (see <see cref="HostPath"/>). The source
/// rows, columns and weights of every output come from the kernels' own <c>UpsampleKernels.Source</c>,
/// once per row and column instead of once per element. The forward pass is the kernel's formula,
/// the same bits; the backward pass adds each output's gradient to its four sources in row-major
/// output order, as PyTorch's CPU implementation does (the kernels' gather sums in another order:
/// equal to rounding, and just as deterministic).
/// </summary>
internal static unsafe class BilinearHost
{
    internal static void Forward(ArrayView<float> x, ArrayView<float> y, UpsampleGeometry g)
    {
        var (rows, columns) = Tables(g);
        float* px = HostPath.Pointer(x), py = HostPath.Pointer(y);
        HostPath.Chunks(g.Planes, Math.Max(1, (1 << 14) / (g.OutH * g.OutW)), (first, count) =>
        {
            for (long plane = first; plane < first + count; plane++)
            {
                float* input = px + plane * g.H * g.W, output = py + plane * g.OutH * g.OutW;
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    var (h0, h1, lh) = rows[oh];
                    float* top = input + h0 * g.W, bottom = input + h1 * g.W, line = output + oh * g.OutW;
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        var (w0, w1, lw) = columns[ow];
                        float upper = (1f - lw) * top[w0] + lw * top[w1];
                        float lower = (1f - lw) * bottom[w0] + lw * bottom[w1];
                        line[ow] = (1f - lh) * upper + lh * lower;
                    }
                }
            }
        });
    }

    internal static void Backward(ArrayView<float> dy, ArrayView<float> dx, UpsampleGeometry g, bool accumulate)
    {
        var (rows, columns) = Tables(g);
        float* pdy = HostPath.Pointer(dy), pdx = HostPath.Pointer(dx);
        int planeSize = g.H * g.W;
        HostPath.PlaneSums(g.Planes, planeSize, Math.Max(1, (1 << 14) / (g.OutH * g.OutW)), pdx, accumulate, (plane, sum) =>
        {
            float* gradient = pdy + plane * g.OutH * g.OutW;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                var (h0, h1, lh) = rows[oh];
                float* top = sum + h0 * g.W, bottom = sum + h1 * g.W, line = gradient + oh * g.OutW;
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    var (w0, w1, lw) = columns[ow];
                    float d = line[ow];
                    float upper = (1f - lh) * d, lower = lh * d;
                    top[w0] += (1f - lw) * upper;
                    top[w1] += lw * upper;
                    bottom[w0] += (1f - lw) * lower;
                    bottom[w1] += lw * lower;
                }
            }
        });
    }

    /// <summary>Source indices and weights of every output row and column.</summary>
    private static ((int I0, int I1, float Lambda)[] Rows, (int I0, int I1, float Lambda)[] Columns) Tables(UpsampleGeometry g)
    {
        var rows = new (int, int, float)[g.OutH];
        for (int oh = 0; oh < g.OutH; oh++)
        {
            UpsampleKernels.Source(oh, g.ScaleH, g.H, g.AlignCorners, out int i0, out int i1, out float lambda);
            rows[oh] = (i0, i1, lambda);
        }
        var columns = new (int, int, float)[g.OutW];
        for (int ow = 0; ow < g.OutW; ow++)
        {
            UpsampleKernels.Source(ow, g.ScaleW, g.W, g.AlignCorners, out int i0, out int i1, out float lambda);
            columns[ow] = (i0, i1, lambda);
        }
        return (rows, columns);
    }
}
