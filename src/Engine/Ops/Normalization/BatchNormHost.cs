using System.Numerics;
using Engine.Devices;
using ILGPU;

namespace Engine.Ops.Normalization;

/// <summary>
/// BatchNorm2d on the CPU accelerator's buffers with the host's vector units (see
/// <see cref="HostPath"/>); the formulas of <c>BatchNormKernels</c>, <c>x</c> and <c>dy</c> laid out
/// <c>[N, C, plane]</c>. Channel statistics sum each (image, channel) plane in vector lanes and the
/// planes in a double, in a fixed order: the same bits on every run, and closer to the exact sums
/// than the kernels' one float running sum per channel.
/// </summary>
internal static unsafe class BatchNormHost
{
    /// <summary>Batch mean and 1/std per channel (and the running statistics, when asked), the host's counterpart of <c>ChannelReduction.Moments</c>.</summary>
    internal static void TrainingStats(ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> runningMean, ArrayView<float> runningVar,
        int n, int channels, int plane, float eps, float momentum, bool updateRunning)
    {
        float* px = HostPath.Pointer(x), pm = HostPath.Pointer(mean), ps = HostPath.Pointer(invStd);
        float* prm = HostPath.Pointer(runningMean), prv = HostPath.Pointer(runningVar);
        HostPath.For(channels, c =>
        {
            double sum = 0;
            for (int image = 0; image < n; image++)
                sum += Sum(px + ((long)image * channels + c) * plane, plane);
            float count = (float)n * plane;
            float m = (float)(sum / count);
            double squares = 0;
            for (int image = 0; image < n; image++)
                squares += SquaredDeviations(px + ((long)image * channels + c) * plane, plane, m);
            float variance = (float)(squares / count);
            pm[c] = m;
            ps[c] = 1f / MathF.Sqrt(variance + eps);
            if (updateRunning)
            {
                float unbiased = count > 1f ? (float)(squares / (count - 1f)) : variance;
                prm[c] = (1f - momentum) * prm[c] + momentum * m;
                prv[c] = (1f - momentum) * prv[c] + momentum * unbiased;
            }
        });
    }

    /// <summary><c>y = (x - mean[c]) * invStd[c] * gamma[c] + beta[c]</c>, as <c>BatchNormKernels.Normalize</c>.</summary>
    internal static void Normalize(ArrayView<float> x, ArrayView<float> y, ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> gamma, ArrayView<float> beta,
        int n, int channels, int plane)
    {
        float* px = HostPath.Pointer(x), py = HostPath.Pointer(y), pm = HostPath.Pointer(mean), ps = HostPath.Pointer(invStd), pg = HostPath.Pointer(gamma), pb = HostPath.Pointer(beta);
        HostPath.Chunks((long)n * channels, Math.Max(1, (1 << 15) / plane), (first, count) =>
        {
            for (long segment = first; segment < first + count; segment++)
            {
                int c = (int)(segment % channels);
                float m = pm[c], s = ps[c], g = pg[c], b = pb[c];
                float* xs = px + segment * plane, ys = py + segment * plane;
                var vm = new Vector<float>(m);
                var vs = new Vector<float>(s);
                var vg = new Vector<float>(g);
                var vb = new Vector<float>(b);
                int lanes = Vector<float>.Count, i = 0;
                for (; i + lanes <= plane; i += lanes)
                    ((Vector.Load(xs + i) - vm) * vs * vg + vb).Store(ys + i);
                for (; i < plane; i++)
                    ys[i] = (xs[i] - m) * s * g + b;
            }
        });
    }

    /// <summary>Per channel <c>sum dy</c> and <c>sum dy * xhat</c>, the host's counterpart of <c>ChannelReduction.GradientSums</c> (overwriting).</summary>
    internal static void ParameterGradients(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> sumDyXhat, ArrayView<float> sumDy, int n, int channels, int plane)
    {
        float* px = HostPath.Pointer(x), pdy = HostPath.Pointer(dy), pm = HostPath.Pointer(mean), ps = HostPath.Pointer(invStd);
        float* pgx = HostPath.Pointer(sumDyXhat), pgb = HostPath.Pointer(sumDy);
        HostPath.For(channels, c =>
        {
            float m = pm[c];
            double dySum = 0, dyCentred = 0;
            for (int image = 0; image < n; image++)
            {
                long at = ((long)image * channels + c) * plane;
                var (a, b) = SumAndCentredDot(pdy + at, px + at, plane, m);
                dySum += a;
                dyCentred += b;
            }
            pgb[c] = (float)dySum;
            pgx[c] = (float)(dyCentred * ps[c]);
        });
    }

    /// <summary>
    /// <c>dx (+)= gamma * invStd / M * (M dy - sum dy - xhat * sum(dy xhat))</c> in training,
    /// <c>gamma * invStd * dy</c> in evaluation, as <c>BatchNormKernels.InputGradient</c>.
    /// </summary>
    internal static void InputGradient(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> gamma,
        ArrayView<float> sumDy, ArrayView<float> sumDyXhat, ArrayView<float> dx, int n, int channels, int plane, float count, bool training, bool accumulate)
    {
        float* px = HostPath.Pointer(x), pdy = HostPath.Pointer(dy), pm = HostPath.Pointer(mean), ps = HostPath.Pointer(invStd), pg = HostPath.Pointer(gamma);
        float* psd = HostPath.Pointer(sumDy), psx = HostPath.Pointer(sumDyXhat), pdx = HostPath.Pointer(dx);
        HostPath.Chunks((long)n * channels, Math.Max(1, (1 << 15) / plane), (first, segments) =>
        {
            int lanes = Vector<float>.Count;
            for (long segment = first; segment < first + segments; segment++)
            {
                int c = (int)(segment % channels);
                float s = ps[c], m = pm[c], k = pg[c] * s / count, sd = psd[c], sx = psx[c];
                float* xs = px + segment * plane, dys = pdy + segment * plane, dxs = pdx + segment * plane;
                int i = 0;
                if (training)
                {
                    var vk = new Vector<float>(k);
                    var vcount = new Vector<float>(count);
                    var vsd = new Vector<float>(sd);
                    var vsx = new Vector<float>(sx);
                    var vm = new Vector<float>(m);
                    var vs = new Vector<float>(s);
                    for (; i + lanes <= plane; i += lanes)
                    {
                        var xhat = (Vector.Load(xs + i) - vm) * vs;
                        var g = vk * (vcount * Vector.Load(dys + i) - vsd - xhat * vsx);
                        (accumulate ? Vector.Load(dxs + i) + g : g).Store(dxs + i);
                    }
                    for (; i < plane; i++)
                    {
                        float xhat = (xs[i] - m) * s;
                        float g = k * (count * dys[i] - sd - xhat * sx);
                        dxs[i] = accumulate ? dxs[i] + g : g;
                    }
                }
                else
                {
                    float scale = pg[c] * s;
                    var vscale = new Vector<float>(scale);
                    for (; i + lanes <= plane; i += lanes)
                    {
                        var g = vscale * Vector.Load(dys + i);
                        (accumulate ? Vector.Load(dxs + i) + g : g).Store(dxs + i);
                    }
                    for (; i < plane; i++)
                    {
                        float g = scale * dys[i];
                        dxs[i] = accumulate ? dxs[i] + g : g;
                    }
                }
            }
        });
    }

    private static double Sum(float* values, int length)
    {
        int lanes = Vector<float>.Count, i = 0;
        var acc = Vector<float>.Zero;
        for (; i + lanes <= length; i += lanes)
            acc += Vector.Load(values + i);
        double total = Vector.Sum(acc);
        for (; i < length; i++)
            total += values[i];
        return total;
    }

    private static double SquaredDeviations(float* values, int length, float mean)
    {
        int lanes = Vector<float>.Count, i = 0;
        var acc = Vector<float>.Zero;
        var vm = new Vector<float>(mean);
        for (; i + lanes <= length; i += lanes)
        {
            var d = Vector.Load(values + i) - vm;
            acc += d * d;
        }
        double total = Vector.Sum(acc);
        for (; i < length; i++)
        {
            float d = values[i] - mean;
            total += d * d;
        }
        return total;
    }

    /// <summary><c>(sum dy, sum dy * (x - mean))</c> over one plane.</summary>
    private static (double Sum, double Centred) SumAndCentredDot(float* dy, float* x, int length, float mean)
    {
        int lanes = Vector<float>.Count, i = 0;
        Vector<float> sum = Vector<float>.Zero, dot = Vector<float>.Zero;
        var vm = new Vector<float>(mean);
        for (; i + lanes <= length; i += lanes)
        {
            var g = Vector.Load(dy + i);
            sum += g;
            dot += g * (Vector.Load(x + i) - vm);
        }
        double s = Vector.Sum(sum), d = Vector.Sum(dot);
        for (; i < length; i++)
        {
            s += dy[i];
            d += dy[i] * (x[i] - mean);
        }
        return (s, d);
    }
}
