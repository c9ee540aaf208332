using System.Numerics;
using Engine.Devices;
using ILGPU;

namespace Engine.Ops.Activation;

/// <summary>
/// ReLU on the CPU accelerator's buffers with the host's vector units (see <see cref="HostPath"/>):
/// exactly the kernels' formulas (<c>y = x &lt; 0 ? 0 : x</c>, <c>dx = x &lt;= 0 ? 0 : dy</c>), so the
/// same bits, NaN and -0 included.
/// </summary>
internal static unsafe class ReluHost
{
    /// <summary><c>y = x &lt; 0 ? 0 : x</c> over n elements; y may be x.</summary>
    internal static void Forward(ArrayView<float> x, ArrayView<float> y, long n) => HostPath.Chunks(n, (start, length) =>
    {
        float* px = HostPath.Pointer(x) + start, py = HostPath.Pointer(y) + start;
        int lanes = Vector<float>.Count, i = 0;
        for (; i + lanes <= length; i += lanes)
        {
            var v = Vector.Load(px + i);
            Vector.ConditionalSelect(Vector.LessThan(v, Vector<float>.Zero), Vector<float>.Zero, v).Store(py + i);
        }
        for (; i < length; i++)
            py[i] = px[i] < 0f ? 0f : px[i];
    });

    /// <summary><c>dx (+)= x &lt;= 0 ? 0 : dy</c> over n elements.</summary>
    internal static void Backward(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, long n, bool accumulate) => HostPath.Chunks(n, (start, length) =>
    {
        float* px = HostPath.Pointer(x) + start, pdy = HostPath.Pointer(dy) + start, pdx = HostPath.Pointer(dx) + start;
        int lanes = Vector<float>.Count, i = 0;
        for (; i + lanes <= length; i += lanes)
        {
            var g = Vector.ConditionalSelect(Vector.LessThanOrEqual(Vector.Load(px + i), Vector<float>.Zero), Vector<float>.Zero, Vector.Load(pdy + i));
            (accumulate ? Vector.Load(pdx + i) + g : g).Store(pdx + i);
        }
        for (; i < length; i++)
        {
            float g = px[i] <= 0f ? 0f : pdy[i];
            pdx[i] = accumulate ? pdx[i] + g : g;
        }
    });
}
