using System.Numerics;
using Engine.Devices;
using ILGPU;

namespace Engine.Ops;

/// <summary>
/// The elementwise kernels (copy, add, scaled accumulate, axpy, scale, channel bias) as host
/// vector loops on the CPU accelerator's buffers (see <see cref="HostPath"/>): the kernels' formulas
/// operation for operation (a multiply then an add, never fused), so the same bits.
/// </summary>
internal static unsafe class ElementwiseHost
{
    /// <summary><c>y[i] = x[i]</c>.</summary>
    internal static void Copy(ArrayView<float> x, ArrayView<float> y, long n) =>
        HostPath.Chunks(n, (start, length) => HostPath.Span(x, start, length).CopyTo(HostPath.Span(y, start, length)));

    /// <summary><c>y[i] = a[i] + b[i]</c>; y may be a or b.</summary>
    internal static void Add(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, long n) => HostPath.Chunks(n, (start, length) =>
    {
        float* pa = HostPath.Pointer(a) + start, pb = HostPath.Pointer(b) + start, py = HostPath.Pointer(y) + start;
        int lanes = Vector<float>.Count, i = 0;
        for (; i + lanes <= length; i += lanes)
            (Vector.Load(pa + i) + Vector.Load(pb + i)).Store(py + i);
        for (; i < length; i++)
            py[i] = pa[i] + pb[i];
    });

    /// <summary><c>dx[i] = (accumulate ? dx[i] : 0) + scale * dy[i]</c>.</summary>
    internal static void ScaledAccumulate(ArrayView<float> dy, ArrayView<float> dx, long n, float scale, bool accumulate) => HostPath.Chunks(n, (start, length) =>
    {
        float* pdy = HostPath.Pointer(dy) + start, pdx = HostPath.Pointer(dx) + start;
        var vs = new Vector<float>(scale);
        int lanes = Vector<float>.Count, i = 0;
        for (; i + lanes <= length; i += lanes)
        {
            var g = vs * Vector.Load(pdy + i);
            (accumulate ? Vector.Load(pdx + i) + g : g).Store(pdx + i);
        }
        for (; i < length; i++)
        {
            float g = scale * pdy[i];
            pdx[i] = accumulate ? pdx[i] + g : g;
        }
    });

    /// <summary><c>y[i] += alpha * x[i]</c>.</summary>
    internal static void Axpy(float alpha, ArrayView<float> x, ArrayView<float> y, long n) => HostPath.Chunks(n, (start, length) =>
    {
        float* px = HostPath.Pointer(x) + start, py = HostPath.Pointer(y) + start;
        var va = new Vector<float>(alpha);
        int lanes = Vector<float>.Count, i = 0;
        for (; i + lanes <= length; i += lanes)
            (Vector.Load(py + i) + va * Vector.Load(px + i)).Store(py + i);
        for (; i < length; i++)
            py[i] += alpha * px[i];
    });

    /// <summary><c>x[i] *= alpha</c>.</summary>
    internal static void Scale(ArrayView<float> x, long n, float alpha) => HostPath.Chunks(n, (start, length) =>
    {
        float* px = HostPath.Pointer(x) + start;
        var va = new Vector<float>(alpha);
        int lanes = Vector<float>.Count, i = 0;
        for (; i + lanes <= length; i += lanes)
            (Vector.Load(px + i) * va).Store(px + i);
        for (; i < length; i++)
            px[i] *= alpha;
    });

    /// <summary><c>x[n, c, ...] += bias[c]</c> over planes of <paramref name="plane"/> elements.</summary>
    internal static void AddChannelBias(ArrayView<float> x, ArrayView<float> bias, long n, int channels, int plane)
    {
        float* px = HostPath.Pointer(x), pb = HostPath.Pointer(bias);
        HostPath.Chunks(n / plane, Math.Max(1, (1 << 15) / plane), (first, count) =>
        {
            int lanes = Vector<float>.Count;
            for (long segment = first; segment < first + count; segment++)
            {
                float b = pb[segment % channels];
                var vb = new Vector<float>(b);
                float* row = px + segment * plane;
                int i = 0;
                for (; i + lanes <= plane; i += lanes)
                    (Vector.Load(row + i) + vb).Store(row + i);
                for (; i < plane; i++)
                    row[i] += b;
            }
        });
    }
}
