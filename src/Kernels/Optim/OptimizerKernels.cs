using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Optim;

/// <summary>
/// Parameter updates, one work-item per element, following PyTorch's <c>torch.optim</c> formulas.
/// Every kernel reads the gradient through a device scalar <c>gradScale[0]</c> (1, or the global-norm
/// clipping factor), so clipping needs no trip to the host, and does nothing while
/// <c>gradScale[1]</c> is not zero: the halt that <see cref="GuardFinite"/> raises on a non-finite
/// loss or gradient, so a bad step's update never reaches the weights although the host learns of
/// it only when it next reads back.
/// </summary>
public static class OptimizerKernels
{
    /// <summary>
    /// SGD: <c>g = s grad + wd p</c>; with momentum <c>buf = mu buf + (1 - dampening) g</c> (buf = g on
    /// the first step), <c>g = nesterov ? g + mu buf : buf</c>; then <c>p -= lr g</c>.
    /// </summary>
    [Loader("Optim.Sgd")]
    public static void Sgd(Index1D thread, WorkRange work, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> buffer, ArrayView<float> gradScale,
        float lr, float momentum, float dampening, float weightDecay, int nesterov, int firstStep)
    {
        if (gradScale[1] != 0f)
            return;
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = gradScale[0] * grad[i] + weightDecay * p[i];
            if (momentum != 0f)
            {
                float b = firstStep != 0 ? g : momentum * buffer[i] + (1f - dampening) * g;
                buffer[i] = b;
                g = nesterov != 0 ? g + momentum * b : b;
            }
            p[i] -= lr * g;
        }
    }

    /// <summary>
    /// Adam (decoupled = 0) or AdamW (decoupled = 1): <c>m = b1 m + (1 - b1) g</c>,
    /// <c>v = b2 v + (1 - b2) g^2</c>, <c>p -= lr (m / c1) / (sqrt(v / c2) + eps)</c> with
    /// <c>c1 = 1 - b1^t</c>, <c>c2 = 1 - b2^t</c>. Adam adds <c>wd p</c> to g; AdamW multiplies p by
    /// <c>1 - lr wd</c> first.
    /// </summary>
    [Loader("Optim.Adam")]
    public static void Adam(Index1D thread, WorkRange work, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, ArrayView<float> gradScale,
        float lr, float beta1, float beta2, float eps, float weightDecay, float correction1, float correction2, int decoupled)
    {
        if (gradScale[1] != 0f)
            return;
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float param = p[i];
            float g = gradScale[0] * grad[i];
            if (decoupled != 0)
                param *= 1f - lr * weightDecay;
            else
                g += weightDecay * param;
            float mi = beta1 * m[i] + (1f - beta1) * g;
            float vi = beta2 * v[i] + (1f - beta2) * g * g;
            m[i] = mi;
            v[i] = vi;
            p[i] = param - lr * (mi / correction1) / (XMath.Sqrt(vi / correction2) + eps);
        }
    }

    /// <summary><c>squares[i] = x[i]^2</c>: the terms of a gradient's squared norm.</summary>
    [Loader("Optim.Square")]
    public static void Square(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> squares)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float v = x[i];
            squares[i] = v * v;
        }
    }

    /// <summary>
    /// Global-norm clipping factor: <c>scale[0] = min(1, maxNorm / (sqrt(sum of squares) + 1e-6))</c>,
    /// and the norm itself in <c>norm[0]</c> (PyTorch's <c>clip_grad_norm_</c>).
    /// </summary>
    [Loader("Optim.ClipScale")]
    public static void ClipScale(Index1D thread, WorkRange work, ArrayView<float> sumOfSquares, ArrayView<float> scale, ArrayView<float> norm, float maxNorm)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float n = XMath.Sqrt(sumOfSquares[0]);
            norm[0] = n;
            float factor = maxNorm / (n + 1e-6f);
            scale[0] = factor < 1f ? factor : 1f;
        }
    }

    /// <summary><c>zeros[i] = x[i] * 0</c>: 0 for a finite value, NaN for NaN or an infinity, so their sum is finite exactly when every x is (it cannot overflow, as a sum of squares can).</summary>
    [Loader("Optim.TimesZero")]
    public static void TimesZero(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> zeros)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            zeros[i] = x[i] * 0f;
        }
    }

    /// <summary>
    /// The step guard: when no halt is raised yet and the loss or <c>finiteness[0]</c> (the sum of
    /// <see cref="TimesZero"/> over every gradient) is not finite, raises the halt
    /// (<c>gradScale[1] = 1</c>) and records the step in <c>haltedAt[0]</c>. One work-item.
    /// </summary>
    [Loader("Optim.GuardFinite")]
    public static void GuardFinite(Index1D thread, WorkRange work, ArrayView<float> loss, ArrayView<float> finiteness, ArrayView<float> gradScale,
        ArrayView<int> haltedAt, int step)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            float l = loss[0], f = finiteness[0];
            // Explicit tests, not !(|x| <= max): a backend may rewrite a negated comparison into an ordered one, which NaN passes.
            bool bad = XMath.IsNaN(l) || XMath.IsInfinity(l) || XMath.IsNaN(f) || XMath.IsInfinity(f);
            if (gradScale[1] == 0f && bad)
            {
                gradScale[1] = 1f;
                haltedAt[0] = step;
            }
        }
    }
}
