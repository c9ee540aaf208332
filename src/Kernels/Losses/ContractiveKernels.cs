using ILGPU;

namespace Engine.Kernels.Losses;

/// <summary>
/// The contractive autoencoder's penalty (Rifai et al. 2011) for a sigmoid encoder layer
/// <c>h = sigmoid(x W^T + b)</c>, <c>h [N, J]</c>, <c>W [J, I]</c>: the squared Frobenius norm of
/// the Jacobian dh/dx in closed form, <c>sum_n sum_j (h_nj (1 - h_nj))^2 r_j</c> with
/// <c>r_j = sum_i W_ji^2</c>. The sums over i and n are the engine's fixed-order axis sums.
/// </summary>
public static class ContractiveKernels
{
    /// <summary><c>squares = W^2</c>, element by element (summed over rows by the engine into <c>r</c>).</summary>
    [Loader("Contractive.Squares")]
    public static void Squares(Index1D thread, WorkRange work, ArrayView<float> w, ArrayView<float> squares)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            squares[i] = w[i] * w[i];
        }
    }

    /// <summary><c>slopes_nj = (h_nj (1 - h_nj))^2</c>, the squared sigmoid derivative.</summary>
    [Loader("Contractive.SquaredSlopes")]
    public static void SquaredSlopes(Index1D thread, WorkRange work, ArrayView<float> h, ArrayView<float> slopes)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float d = h[i] * (1f - h[i]);
            slopes[i] = d * d;
        }
    }

    /// <summary><c>terms_nj = slopes_nj r_j</c>, <c>j = i mod units</c>.</summary>
    [Loader("Contractive.Terms")]
    public static void Terms(Index1D thread, WorkRange work, ArrayView<float> slopes, ArrayView<float> rowNorms, ArrayView<float> terms, int units)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            terms[i] = slopes[i] * rowNorms[element % units];
        }
    }

    /// <summary><c>dh_nj = scale[0] 2 h (1 - h)(1 - 2h) r_j</c>.</summary>
    [Loader("Contractive.CodeGradient")]
    public static void CodeGradient(Index1D thread, WorkRange work, ArrayView<float> h, ArrayView<float> rowNorms, ArrayView<float> scale, ArrayView<float> dh, int units, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float v = h[i];
            float g = scale[0] * 2f * v * (1f - v) * (1f - 2f * v) * rowNorms[element % units];
            dh[i] = accumulate != 0 ? dh[i] + g : g;
        }
    }

    /// <summary><c>dW_ji (+)= scale[0] 2 W_ji c_j</c> with <c>c_j = sum_n slopes_nj</c>; <c>j = i / inputs</c>.</summary>
    [Loader("Contractive.WeightGradient")]
    public static void WeightGradient(Index1D thread, WorkRange work, ArrayView<float> w, ArrayView<float> slopeSums, ArrayView<float> scale, ArrayView<float> dw, int inputs, int accumulate)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            Index1D i = element;
            float g = scale[0] * 2f * w[i] * slopeSums[element / inputs];
            dw[i] = accumulate != 0 ? dw[i] + g : g;
        }
    }
}
