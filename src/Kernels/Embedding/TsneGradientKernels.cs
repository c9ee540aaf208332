using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Embedding;

/// <summary>
/// The t-SNE objective in two dimensions: with the Student-t kernel <c>w_ij = 1 / (1 + |y_i - y_j|^2)</c>,
/// <c>q_ij = w_ij / Z</c> and <c>Z = sum_(k != l) w_kl</c>, the gradient of <c>KL(a P || Q)</c> is
/// <c>4 sum_j (a p_ij - q_ij) w_ij (y_i - y_j) = 4 (a A_i - R_i / Z)</c> with the attraction
/// <c>A_i = sum_j p_ij w_ij (y_i - y_j)</c> and the unnormalised repulsion
/// <c>R_i = sum_j w_ij^2 (y_i - y_j)</c>. Splitting it so lets one pass over the pairs produce A, R
/// and each row's share of Z; Z is then summed in a fixed order and the step applies it per
/// coordinate. Each pair pass is one work-item per point walking j = 0..n-1 in order: no atomics,
/// the same additions on every backend. P is symmetric, so row i is read as column i (coalesced).
/// </summary>
public static class TsneGradientKernels
{
    /// <summary>
    /// For point i: <c>attraction[i] = A_i</c>, <c>repulsion[i] = R_i</c> (each two coordinates) and
    /// <c>kernelSums[i] = sum_(j != i) w_ij</c>. One work-item per point.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as point i.</param>
    /// <param name="work">The split of the n points over work-items.</param>
    /// <param name="y">The embedding <c>[n, 2]</c>.</param>
    /// <param name="p">Joint probabilities <c>[n, n]</c>, symmetric, 0 on the diagonal.</param>
    /// <param name="attraction">Receives A <c>[n, 2]</c>.</param>
    /// <param name="repulsion">Receives R <c>[n, 2]</c>.</param>
    /// <param name="kernelSums">Receives each point's share of Z <c>[n]</c>.</param>
    /// <param name="n">Points.</param>
    [Loader("Tsne.Forces")]
    public static void Forces(Index1D thread, WorkRange work, ArrayView<float> y, ArrayView<float> p,
        ArrayView<float> attraction, ArrayView<float> repulsion, ArrayView<float> kernelSums, int n)
    {
        for (int i = work.Begin(thread); i < work.End(thread); i++)
        {
            float yi0 = y[2L * i], yi1 = y[2L * i + 1];
            float a0 = 0f, a1 = 0f, r0 = 0f, r1 = 0f, s = 0f;
            for (int j = 0; j < n; j++)
            {
                if (j == i)
                    continue;
                float d0 = yi0 - y[2L * j], d1 = yi1 - y[2L * j + 1];
                float w = 1f / (1f + d0 * d0 + d1 * d1);
                float pw = p[(long)j * n + i] * w;
                float ww = w * w;
                a0 += pw * d0;
                a1 += pw * d1;
                r0 += ww * d0;
                r1 += ww * d1;
                s += w;
            }
            attraction[2L * i] = a0;
            attraction[2L * i + 1] = a1;
            repulsion[2L * i] = r0;
            repulsion[2L * i + 1] = r1;
            kernelSums[i] = s;
        }
    }

    /// <summary>
    /// One step of scikit-learn's t-SNE descent for coordinate c: the gradient
    /// <c>g = 4 (a A_c - R_c / Z)</c>; the gain grows by 0.2 where the last update and g have opposite
    /// signs (the descent keeps its direction) and shrinks by 0.8 otherwise, never below
    /// <paramref name="minGain"/> (Jacobs' delta-bar-delta); <c>g *= gain</c>;
    /// <c>update = momentum update - rate g</c>; <c>y += update</c>. One work-item per coordinate.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as coordinate c of <c>2 n</c>.</param>
    /// <param name="work">The split of the coordinates over work-items.</param>
    /// <param name="y">The embedding <c>[n, 2]</c>, updated.</param>
    /// <param name="attraction">A <c>[n, 2]</c>.</param>
    /// <param name="repulsion">R <c>[n, 2]</c>.</param>
    /// <param name="z">Z <c>[1]</c>.</param>
    /// <param name="update">The last update <c>[n, 2]</c>, replaced by this one.</param>
    /// <param name="gains">Per-coordinate gains <c>[n, 2]</c>, updated.</param>
    /// <param name="gradient">Receives the gain-scaled gradient <c>[n, 2]</c> (its norm is the stopping test).</param>
    /// <param name="exaggeration">a, the factor on P.</param>
    /// <param name="momentum">The momentum.</param>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="minGain">The smallest gain.</param>
    [Loader("Tsne.Step")]
    public static void Step(Index1D thread, WorkRange work, ArrayView<float> y, ArrayView<float> attraction, ArrayView<float> repulsion,
        ArrayView<float> z, ArrayView<float> update, ArrayView<float> gains, ArrayView<float> gradient,
        float exaggeration, float momentum, float learningRate, float minGain)
    {
        float normaliser = z[0];
        for (int c = work.Begin(thread); c < work.End(thread); c++)
        {
            float g = 4f * (exaggeration * attraction[c] - repulsion[c] / normaliser);
            float u = update[c];
            float gain = u * g < 0f ? gains[c] + 0.2f : gains[c] * 0.8f;
            gain = XMath.Max(gain, minGain);
            g *= gain;
            u = momentum * u - learningRate * g;
            gains[c] = gain;
            gradient[c] = g;
            update[c] = u;
            y[c] += u;
        }
    }

    /// <summary>
    /// The gradient alone, <c>gradient[c] = 4 (a A_c - R_c / Z)</c>, for tests and reports.
    /// One work-item per coordinate.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as coordinate c of <c>2 n</c>.</param>
    /// <param name="work">The split of the coordinates over work-items.</param>
    /// <param name="attraction">A <c>[n, 2]</c>.</param>
    /// <param name="repulsion">R <c>[n, 2]</c>.</param>
    /// <param name="z">Z <c>[1]</c>.</param>
    /// <param name="gradient">Receives the gradient <c>[n, 2]</c>.</param>
    /// <param name="exaggeration">a, the factor on P.</param>
    [Loader("Tsne.Gradient")]
    public static void Gradient(Index1D thread, WorkRange work, ArrayView<float> attraction, ArrayView<float> repulsion,
        ArrayView<float> z, ArrayView<float> gradient, float exaggeration)
    {
        float normaliser = z[0];
        for (int c = work.Begin(thread); c < work.End(thread); c++)
            gradient[c] = 4f * (exaggeration * attraction[c] - repulsion[c] / normaliser);
    }

    /// <summary>
    /// Point i's share of <c>KL(a P || Q) = sum_(i != j) a p_ij log(max(a p_ij, eps) / max(q_ij, eps))</c>,
    /// with eps = <paramref name="floor"/> (scikit-learn's floors). One work-item per point.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as point i.</param>
    /// <param name="work">The split of the n points over work-items.</param>
    /// <param name="y">The embedding <c>[n, 2]</c>.</param>
    /// <param name="p">Joint probabilities <c>[n, n]</c>, symmetric.</param>
    /// <param name="z">Z for this embedding <c>[1]</c>.</param>
    /// <param name="rows">Receives each point's share <c>[n]</c>.</param>
    /// <param name="n">Points.</param>
    /// <param name="exaggeration">a, the factor on P.</param>
    /// <param name="floor">The floor on P and Q.</param>
    [Loader("Tsne.Divergence")]
    public static void Divergence(Index1D thread, WorkRange work, ArrayView<float> y, ArrayView<float> p, ArrayView<float> z,
        ArrayView<float> rows, int n, float exaggeration, float floor)
    {
        float normaliser = z[0];
        for (int i = work.Begin(thread); i < work.End(thread); i++)
        {
            float yi0 = y[2L * i], yi1 = y[2L * i + 1];
            float sum = 0f;
            for (int j = 0; j < n; j++)
            {
                if (j == i)
                    continue;
                float d0 = yi0 - y[2L * j], d1 = yi1 - y[2L * j + 1];
                float q = XMath.Max(1f / (1f + d0 * d0 + d1 * d1) / normaliser, floor);
                float pij = exaggeration * p[(long)j * n + i];
                sum += pij * XMath.Log(XMath.Max(pij, floor) / q);
            }
            rows[i] = sum;
        }
    }
}
