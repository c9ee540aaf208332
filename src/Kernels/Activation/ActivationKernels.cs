using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Activation;

/// <summary>
/// Elementwise activations and their backward passes; one work-item per element. Forward
/// outputs may alias their inputs (in-place activations). Backward passes take
/// <c>accumulate</c>: 1 adds into dx, 0 overwrites it.
/// </summary>
public static class ActivationKernels
{
    /// <summary><c>y = x &lt; 0 ? 0 : x</c>: PyTorch's <c>clamp_min(x, 0)</c>, so NaN propagates.</summary>
    [Loader("Relu")]
    public static void ReluForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float v = x[i];
            y[i] = v < 0f ? 0f : v;
        }
    }

    /// <summary>
    /// <c>dx = x &lt;= 0 ? 0 : dy</c>: PyTorch's <c>threshold_backward</c> (the gradient at 0 is 0; at NaN
    /// the gradient passes, so a NaN stays visible in the gradients too).
    /// </summary>
    [Loader("ReluBackward")]
    public static void ReluBackward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = x[i] <= 0f ? 0f : dy[i];
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary><c>y = x &gt; 0 ? x : slope * x</c>.</summary>
    [Loader("LeakyRelu")]
    public static void LeakyReluForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y, float slope)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float v = x[i];
            y[i] = v > 0f ? v : slope * v;
        }
    }

    /// <summary><c>dx = x &gt; 0 ? dy : slope * dy</c>.</summary>
    [Loader("LeakyReluBackward")]
    public static void LeakyReluBackward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, float slope, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = x[i] > 0f ? dy[i] : slope * dy[i];
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary><c>y = 1 / (1 + exp(-x))</c>, evaluated without overflow for large |x|.</summary>
    [Loader("Sigmoid")]
    public static void SigmoidForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            y[i] = Sigmoid(x[i]);
        }
    }

    /// <summary><c>dx = dy * y * (1 - y)</c> from the forward output y.</summary>
    [Loader("SigmoidBackward")]
    public static void SigmoidBackward(Index1D thread, WorkRange work, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float s = y[i];
            float g = dy[i] * s * (1f - s);
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary><c>y = tanh(x)</c>.</summary>
    [Loader("Tanh")]
    public static void TanhForward(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            y[i] = XMath.Tanh(x[i]);
        }
    }

    /// <summary><c>dx = dy * (1 - y^2)</c> from the forward output y.</summary>
    [Loader("TanhBackward")]
    public static void TanhBackward(Index1D thread, WorkRange work, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float t = y[i];
            float g = dy[i] * (1f - t * t);
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary><c>y = a + b</c> (residual connections); y may alias a or b.</summary>
    [Loader("Add")]
    public static void Add(Index1D thread, WorkRange work, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            y[i] = a[i] + b[i];
        }
    }

    /// <summary>
    /// <c>dx = (accumulate ? dx : 0) + scale * dy</c>: the backward of add, of reshapes and of scaling.
    /// </summary>
    [Loader("ScaledAccumulate")]
    public static void ScaledAccumulate(Index1D thread, WorkRange work, ArrayView<float> dy, ArrayView<float> dx, float scale, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = scale * dy[i];
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary>The logistic function, stable for large |x|.</summary>
    public static float Sigmoid(float x)
    {
        if (x >= 0f)
            return 1f / (1f + XMath.Exp(-x));
        float e = XMath.Exp(x);
        return e / (1f + e);
    }
}
