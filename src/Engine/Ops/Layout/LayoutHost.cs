using System.Numerics.Tensors;
using Engine.Devices;
using ILGPU;

namespace Engine.Ops.Layout;

/// <summary>
/// Centre crops and channel slices (concatenation) on the CPU accelerator's buffers (see
/// <see cref="HostPath"/>) as row and block copies: the kernels' values element for element.
/// </summary>
internal static unsafe class LayoutHost
{
    /// <summary>y = the <c>[outH, outW]</c> window at (top, left) of every <c>[h, w]</c> plane of x.</summary>
    internal static void Crop(ArrayView<float> x, ArrayView<float> y, long planes, int h, int w, int outH, int outW, int top, int left)
    {
        float* px = HostPath.Pointer(x), py = HostPath.Pointer(y);
        HostPath.Chunks(planes, Math.Max(1, (1 << 14) / (outH * outW)), (first, count) =>
        {
            for (long p = first; p < first + count; p++)
            {
                for (int oh = 0; oh < outH; oh++)
                    HostRows.Copy(py + (p * outH + oh) * outW, px + (p * h + top + oh) * w + left, outW);
            }
        });
    }

    /// <summary><c>dx (+)= dy</c> inside the window, <c>(+)= 0</c> outside (adding 0 as the kernel does).</summary>
    internal static void CropBackward(ArrayView<float> dy, ArrayView<float> dx, long planes, int h, int w, int outH, int outW, int top, int left, bool accumulate)
    {
        float* pdy = HostPath.Pointer(dy), pdx = HostPath.Pointer(dx);
        HostPath.Chunks(planes, Math.Max(1, (1 << 14) / (h * w)), (first, count) =>
        {
            for (long p = first; p < first + count; p++)
            {
                for (int row = 0; row < h; row++)
                {
                    float* target = pdx + (p * h + row) * w;
                    int oh = row - top;
                    if (oh < 0 || oh >= outH)
                    {
                        Outside(target, w, accumulate);
                        continue;
                    }
                    Outside(target, left, accumulate);
                    float* source = pdy + (p * outH + oh) * outW;
                    if (accumulate)
                        HostRows.Add(target + left, source, outW);
                    else
                        HostRows.Copy(target + left, source, outW);
                    Outside(target + left + outW, w - left - outW, accumulate);
                }
            }
        });
    }

    /// <summary>
    /// Between the channels <c>[offset, offset + smallC)</c> of big <c>[N, bigC, plane]</c> and small
    /// <c>[N, smallC, plane]</c>: to small (with accumulate, added) or to big.
    /// </summary>
    internal static void ChannelSlice(ArrayView<float> small, ArrayView<float> big, int n, int smallC, int bigC, int offset, int plane, bool toSmall, bool accumulate)
    {
        float* ps = HostPath.Pointer(small), pb = HostPath.Pointer(big);
        long block = (long)smallC * plane;
        HostPath.Chunks(n, 1, (first, count) =>
        {
            for (long image = first; image < first + count; image++)
            {
                var s = new Span<float>(ps + image * block, checked((int)block));
                var b = new Span<float>(pb + ((long)image * bigC + offset) * plane, checked((int)block));
                if (!toSmall)
                    s.CopyTo(b);
                else if (accumulate)
                    TensorPrimitives.Add(s, b, s);
                else
                    b.CopyTo(s);
            }
        });
    }

    private static void Outside(float* target, int count, bool accumulate)
    {
        if (!accumulate)
        {
            HostRows.Clear(target, count);
            return;
        }
        for (int i = 0; i < count; i++)
            target[i] += 0f;
    }
}
