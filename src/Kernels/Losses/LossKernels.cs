using ILGPU;
using ILGPU.Algorithms;
using Engine.Kernels.Activation;

namespace Engine.Kernels.Losses;

/// <summary>
/// Loss terms and gradients. Each forward kernel writes one term per element (or position);
/// the engine sums the terms deterministically and divides by the count. Each backward kernel
/// reads the upstream gradient of the scalar loss and the divisor from device memory
/// (<c>scale[0] = dLoss / divisor</c>), so a training step never waits for the host.
/// </summary>
public static class LossKernels
{
    /// <summary>
    /// Per position: PyTorch's cross-entropy with class weights <c>w</c> (ones unless
    /// <paramref name="weighted"/>) and label smoothing <c>e</c>,
    /// <c>w[t] (1 - e)(lse - x[t]) + e / C sum_c w[c] (lse - x[c])</c> with <c>lse</c> the
    /// log-sum-exp of the position's logits, and its weight <c>w[t]</c> for the mean's divisor;
    /// both 0 where the target is <paramref name="ignoreIndex"/>. Channel stride is <c>plane</c>.
    /// </summary>
    [Loader("CrossEntropy.Forward")]
    public static void CrossEntropyForward(Index1D thread, WorkRange work, ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> classWeights,
        ArrayView<float> losses, ArrayView<float> weights, int channels, int plane, int ignoreIndex, int weighted, float smoothing)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int t = targets[i];
            if (t == ignoreIndex)
            {
                losses[i] = 0f;
                weights[i] = 0f;
                continue;
            }
            long b = (long)((int)i / plane) * channels * plane + (int)i % plane;
            SoftmaxKernels.MaxAndSumExp(logits, b, channels, plane, out float max, out float sum);
            float lse = max + XMath.Log(sum);
            // A target outside [0, C) cannot be reported by a kernel: its loss is NaN, which shows.
            bool valid = t >= 0 && t < channels;
            int picked = valid ? t : 0;
            float w = weighted != 0 ? classWeights[picked] : 1f;
            float term = w * (1f - smoothing) * (lse - logits[b + (long)picked * plane]);
            if (smoothing != 0f)
            {
                float spread = 0f;
                for (int c = 0; c < channels; c++)
                    spread += (weighted != 0 ? classWeights[c] : 1f) * (lse - logits[b + (long)c * plane]);
                term += smoothing / channels * spread;
            }
            losses[i] = valid ? term : float.NaN;
            weights[i] = w;
        }
    }

    /// <summary>
    /// <c>dlogits = scale[0] (w[t] (1 - e)(p - onehot(t)) + e / C (W p - w))</c> per position, with
    /// <c>p</c> the softmax and <c>W = sum_c w[c]</c> (zero where ignored).
    /// </summary>
    [Loader("CrossEntropy.Backward")]
    public static void CrossEntropyBackward(Index1D thread, WorkRange work, ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> classWeights,
        ArrayView<float> scale, ArrayView<float> dLogits, int channels, int plane, int ignoreIndex, int weighted, float smoothing, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int t = targets[i];
            long b = (long)((int)i / plane) * channels * plane + (int)i % plane;
            SoftmaxKernels.MaxAndSumExp(logits, b, channels, plane, out float max, out float sum);
            bool valid = t >= 0 && t < channels;
            float s = t == ignoreIndex ? 0f : valid ? scale[0] : float.NaN;
            float w = weighted != 0 ? classWeights[valid ? t : 0] : 1f;
            float total = 0f; // W, needed only with smoothing
            if (smoothing != 0f)
            {
                for (int c = 0; c < channels; c++)
                    total += weighted != 0 ? classWeights[c] : 1f;
            }
            for (int c = 0; c < channels; c++)
            {
                long at = b + (long)c * plane;
                float p = XMath.Exp(logits[at] - max) / sum;
                float g = w * (1f - smoothing) * (p - (c == t ? 1f : 0f));
                if (smoothing != 0f)
                    g += smoothing / channels * (total * p - (weighted != 0 ? classWeights[c] : 1f));
                g *= s;
                dLogits[at] = accumulate != 0 ? dLogits[at] + g : g;
            }
        }
    }

    /// <summary>Binary cross-entropy with logits: <c>max(x, 0) - x t + log(1 + exp(-|x|))</c>.</summary>
    [Loader("Bce.Forward")]
    public static void BceWithLogitsForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> t, ArrayView<float> terms)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float v = x[i];
            terms[i] = IntrinsicMath.Max(v, 0f) - v * t[i] + XMath.Log(1f + XMath.Exp(-IntrinsicMath.Abs(v)));
        }
    }

    /// <summary><c>dx = scale[0] * (sigmoid(x) - t)</c>.</summary>
    [Loader("Bce.Backward")]
    public static void BceWithLogitsBackward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> t, ArrayView<float> scale, ArrayView<float> dx, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = scale[0] * (ActivationKernels.Sigmoid(x[i]) - t[i]);
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary>Squared error <c>(x - t)^2</c>.</summary>
    [Loader("Mse.Forward")]
    public static void SquaredErrorForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> t, ArrayView<float> terms)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float d = x[i] - t[i];
            terms[i] = d * d;
        }
    }

    /// <summary><c>dx = scale[0] * 2 (x - t)</c>.</summary>
    [Loader("Mse.Backward")]
    public static void SquaredErrorBackward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> t, ArrayView<float> scale, ArrayView<float> dx, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = scale[0] * 2f * (x[i] - t[i]);
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary>Absolute error <c>|x - t|</c> (PyTorch's <c>l1_loss</c>); NaN stays NaN.</summary>
    [Loader("L1.Forward")]
    public static void AbsoluteErrorForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> t, ArrayView<float> terms)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            terms[i] = IntrinsicMath.Abs(x[i] - t[i]);
        }
    }

    /// <summary><c>dx = scale[0] * sign(x - t)</c>, with <c>sign(0) = 0</c> as PyTorch's and NaN passed on.</summary>
    [Loader("L1.Backward")]
    public static void AbsoluteErrorBackward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> t, ArrayView<float> scale, ArrayView<float> dx, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float d = x[i] - t[i];
            float sign = d > 0f ? 1f : d < 0f ? -1f : d == 0f ? 0f : d; // NaN: NaN
            float g = scale[0] * sign;
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary>Gaussian KL to N(0, I) per latent: <c>-0.5 (1 + logvar - mu^2 - exp(logvar))</c>.</summary>
    [Loader("GaussianKl.Forward")]
    public static void GaussianKlForward(Index1D thread, WorkRange work, ArrayView<float> mu, ArrayView<float> logVar, ArrayView<float> terms)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float m = mu[i], lv = logVar[i];
            terms[i] = -0.5f * (1f + lv - m * m - XMath.Exp(lv));
        }
    }

    /// <summary><c>dmu = scale[0] mu</c>, <c>dlogvar = scale[0] 0.5 (exp(logvar) - 1)</c>.</summary>
    [Loader("GaussianKl.Backward")]
    public static void GaussianKlBackward(Index1D thread, WorkRange work, ArrayView<float> mu, ArrayView<float> logVar, ArrayView<float> scale,
        ArrayView<float> dMu, ArrayView<float> dLogVar, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float s = scale[0];
            float gm = s * mu[i];
            float gl = s * 0.5f * (XMath.Exp(logVar[i]) - 1f);
            dMu[i] = accumulate != 0 ? dMu[i] + gm : gm;
            dLogVar[i] = accumulate != 0 ? dLogVar[i] + gl : gl;
        }
    }

    /// <summary>The three per-element terms of the Dice loss: <c>p t</c>, <c>p</c> and <c>t</c>, laid out as three rows.</summary>
    [Loader("Dice.Terms")]
    public static void DiceTerms(Index1D thread, WorkRange work, ArrayView<float> p, ArrayView<float> t, ArrayView<float> terms, int length)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float pv = p[i], tv = t[i];
            terms[i] = pv * tv;
            terms[length + i] = pv;
            terms[2 * length + i] = tv;
        }
    }

    /// <summary>
    /// <c>loss[0] = 1 - (2 I + s) / (P + T + s)</c> from <c>sums = [I, P, T]</c>.
    /// </summary>
    [Loader("Dice.Loss")]
    public static void DiceLoss(Index1D thread, WorkRange work, ArrayView<float> sums, ArrayView<float> loss, float smooth)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            loss[0] = 1f - (2f * sums[0] + smooth) / (sums[1] + sums[2] + smooth);
        }
    }

    /// <summary>
    /// <c>dp = dLoss[0] * -(2 t (P + T + s) - (2 I + s)) / (P + T + s)^2</c>.
    /// </summary>
    [Loader("Dice.Backward")]
    public static void DiceBackward(Index1D thread, WorkRange work, ArrayView<float> t, ArrayView<float> sums, ArrayView<float> dLoss, ArrayView<float> dp, float smooth, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float denominator = sums[1] + sums[2] + smooth;
            float numerator = 2f * sums[0] + smooth;
            float g = -dLoss[0] * (2f * t[i] * denominator - numerator) / (denominator * denominator);
            dp[i] = accumulate != 0 ? dp[i] + g : g;
        }
    }

    /// <summary><c>out[0] = sum[0] / divisor[0]</c> (a mean whose count lives on the device).</summary>
    [Loader("Loss.Divide")]
    public static void Divide(Index1D thread, WorkRange work, ArrayView<float> sum, ArrayView<float> divisor, ArrayView<float> result)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            result[0] = sum[0] / divisor[0]; // 0 / 0 is NaN: a cross-entropy whose every target is ignored, as in PyTorch
        }
    }

    /// <summary><c>scale[0] = factor * dLoss[0] / divisor[0]</c>: the per-term gradient factor of a mean loss.</summary>
    [Loader("Loss.GradientScale")]
    public static void GradientScale(Index1D thread, WorkRange work, ArrayView<float> dLoss, ArrayView<float> divisor, ArrayView<float> scale, float factor)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float d = divisor[0];
            scale[0] = d != 0f ? factor * dLoss[0] / d : 0f; // with no counted term, nothing reads it
        }
    }
}
