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
    /// Cross-entropy per position of logits <c>[N, C, plane]</c> with class targets <c>[N, plane]</c>:
    /// <c>loss = logsumexp(x) - x[target]</c>, and weight 1, or 0 and 0 where the target equals
    /// <paramref name="ignoreIndex"/>; NaN for a target outside <c>[0, C)</c>.
    /// </summary>
    public static void CrossEntropyForward(Index1D thread, WorkRange work, ArrayView<float> logits, ArrayView<int> targets,
        ArrayView<float> losses, ArrayView<float> weights, int channels, int plane, int ignoreIndex)
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
            // A target outside [0, C) cannot be reported by a kernel: its loss is NaN, which shows.
            bool valid = t >= 0 && t < channels;
            float picked = logits[b + (long)(valid ? t : 0) * plane];
            losses[i] = valid ? max + XMath.Log(sum) - picked : float.NaN;
            weights[i] = 1f;
        }
    }

    /// <summary>
    /// <c>dlogits = scale[0] * (softmax(x) - onehot(target))</c> per position (zero where ignored).
    /// </summary>
    public static void CrossEntropyBackward(Index1D thread, WorkRange work, ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> scale,
        ArrayView<float> dLogits, int channels, int plane, int ignoreIndex, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            int t = targets[i];
            long b = (long)((int)i / plane) * channels * plane + (int)i % plane;
            SoftmaxKernels.MaxAndSumExp(logits, b, channels, plane, out float max, out float sum);
            float s = t == ignoreIndex ? 0f : t >= 0 && t < channels ? scale[0] : float.NaN;
            for (int c = 0; c < channels; c++)
            {
                long at = b + (long)c * plane;
                float g = s * (XMath.Exp(logits[at] - max) / sum - (c == t ? 1f : 0f));
                dLogits[at] = accumulate != 0 ? dLogits[at] + g : g;
            }
        }
    }

    /// <summary>Binary cross-entropy with logits: <c>max(x, 0) - x t + log(1 + exp(-|x|))</c>.</summary>
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
    public static void SquaredErrorBackward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> t, ArrayView<float> scale, ArrayView<float> dx, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = scale[0] * 2f * (x[i] - t[i]);
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary>Gaussian KL to N(0, I) per latent: <c>-0.5 (1 + logvar - mu^2 - exp(logvar))</c>.</summary>
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
    public static void Divide(Index1D thread, WorkRange work, ArrayView<float> sum, ArrayView<float> divisor, ArrayView<float> result)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float d = divisor[0];
            result[0] = d > 0f ? sum[0] / d : 0f;
        }
    }

    /// <summary><c>scale[0] = factor * dLoss[0] / divisor[0]</c>: the per-term gradient factor of a mean loss.</summary>
    public static void GradientScale(Index1D thread, WorkRange work, ArrayView<float> dLoss, ArrayView<float> divisor, ArrayView<float> scale, float factor)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float d = divisor[0];
            scale[0] = d > 0f ? factor * dLoss[0] / d : 0f;
        }
    }
}
