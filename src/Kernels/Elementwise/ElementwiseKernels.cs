using ILGPU;

namespace Engine.Kernels.Elementwise;

/// <summary>
/// One work-item per element kernels on flat float32 views. Launch with the element count.
/// </summary>
public static class ElementwiseKernels
{
    /// <summary><c>x[i] = value</c>.</summary>
    [Loader("Fill")]
    public static void Fill(Index1D thread, WorkRange work, ArrayView<float> x, float value)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            x[i] = value;
        }
    }

    /// <summary><c>x[i] = value</c> for int32 views (index tensors).</summary>
    [Loader("FillInt")]
    public static void FillInt(Index1D thread, WorkRange work, ArrayView<int> x, int value)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            x[i] = value;
        }
    }

    /// <summary><c>y[i] = x[i]</c>.</summary>
    [Loader("Copy")]
    public static void Copy(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> y)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            y[i] = x[i];
        }
    }

    /// <summary><c>y[i] += alpha * x[i]</c>.</summary>
    [Loader("Axpy")]
    public static void Axpy(Index1D thread, WorkRange work, float alpha, ArrayView<float> x, ArrayView<float> y)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            y[i] += alpha * x[i];
        }
    }

    /// <summary><c>x[i] *= alpha</c>.</summary>
    [Loader("Scale")]
    public static void Scale(Index1D thread, WorkRange work, ArrayView<float> x, float alpha)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            x[i] *= alpha;
        }
    }

    /// <summary>
    /// Per-channel bias on an NCHW tensor seen as <c>[N, C, plane]</c>:
    /// <c>x[n, c, s] += bias[c]</c>, with <c>c = (i / plane) % channels</c>.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index i: Flat element index over <c>N * C * plane</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="x">Tensor <c>[N, C, plane]</c>, updated in place.</param>
    /// <param name="bias">Bias <c>[C]</c>.</param>
    /// <param name="channels">C.</param>
    /// <param name="plane">Elements per channel per image (H * W).</param>
    [Loader("AddChannelBias")]
    public static void AddChannelBias(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> bias, int channels, int plane)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            x[i] += bias[(i / plane) % channels];
        }
    }

    /// <summary>
    /// A convolution's bias and the ReLU after it, fused: <c>v = x + bias[c]</c>; <c>x = v</c> (the
    /// pre-activation, which ReLU's backward reads) and <c>y = v &lt; 0 ? 0 : v</c> (NaN propagates,
    /// as <see cref="Activation.ActivationKernels.ReluForward"/>): the bits of the two kernels, one launch.
    /// </summary>
    [Loader("AddChannelBiasRelu")]
    public static void AddChannelBiasRelu(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, int channels, int plane)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float v = x[i] + bias[(i / plane) % channels];
            x[i] = v;
            y[i] = v < 0f ? 0f : v;
        }
    }
}
