using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Embedding;

/// <summary>
/// t-SNE's input affinities (van der Maaten and Hinton 2008, section 2): squared distances, each
/// point's Gaussian precision found by bisection so that its conditional distribution has the
/// requested perplexity, and the symmetric joint probabilities. Every value is computed by one
/// work-item summing in a fixed order, so the result does not depend on the backend's scheduling.
/// The distance matrix is exactly symmetric (<c>(a - b)^2 == (b - a)^2</c> in floating point), so a
/// work-item that owns row i reads column i instead: neighbouring work-items then read neighbouring
/// addresses (coalesced on a GPU) and the values are the same.
/// </summary>
public static class TsneAffinityKernels
{
    /// <summary><c>distances[i, j] = sum_k (x[i, k] - x[j, k])^2</c>, k in order; one work-item per pair.</summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index <c>i * n + j</c>.</param>
    /// <param name="work">The split of the <c>n * n</c> pairs over work-items.</param>
    /// <param name="x">Points <c>[n, dims]</c>.</param>
    /// <param name="distances">Squared distances <c>[n, n]</c>.</param>
    /// <param name="n">Points.</param>
    /// <param name="dims">Coordinates per point.</param>
    [Loader("Tsne.SquaredDistances")]
    public static void SquaredDistances(Index1D thread, WorkRange work, ArrayView<float> x, ArrayView<float> distances, int n, int dims)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int i = element / n;
            int j = element - i * n;
            long a = (long)i * dims, b = (long)j * dims;
            float sum = 0f;
            for (int k = 0; k < dims; k++)
            {
                float d = x[a + k] - x[b + k];
                sum += d * d;
            }
            distances[element] = sum;
        }
    }

    /// <summary>
    /// For each point i, the precision <c>beta_i</c> of <c>p(j|i) = exp(-beta_i d_ij) / sum_(k != i) exp(-beta_i d_ik)</c>
    /// whose entropy <c>H_i = log(sum) + beta_i sum_j d_ij p(j|i)</c> (nats) lies within
    /// <paramref name="tolerance"/> of <paramref name="entropy"/> = log(perplexity), by the bisection
    /// scikit-learn's exact t-SNE uses: beta starts at 1, doubles (or halves) until the target is
    /// bracketed, then halves the bracket, at most <paramref name="steps"/> evaluations; the row
    /// written is the last one evaluated. The distances are shifted by the row's smallest
    /// (<c>d_ij - min_k d_ik</c>), which leaves p(j|i) and the entropy unchanged in exact arithmetic
    /// and keeps float32's exp from underflowing to an all-zero row when distances are large.
    /// One work-item per point, j in order.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as point i.</param>
    /// <param name="work">The split of the n points over work-items.</param>
    /// <param name="distances">Squared distances <c>[n, n]</c>, symmetric.</param>
    /// <param name="conditional">Receives <c>conditional[j, i] = p(j|i)</c> <c>[n, n]</c> (column i; 0 on the diagonal).</param>
    /// <param name="n">Points (at least 2).</param>
    /// <param name="entropy">The target entropy, log(perplexity).</param>
    /// <param name="tolerance">How close the entropy must come.</param>
    /// <param name="steps">Most evaluations of the entropy.</param>
    [Loader("Tsne.ConditionalAffinities")]
    public static void ConditionalAffinities(Index1D thread, WorkRange work, ArrayView<float> distances, ArrayView<float> conditional,
        int n, float entropy, float tolerance, int steps)
    {
        for (int i = work.Begin(thread); i < work.End(thread); i++)
        {
            float nearest = 0f;
            bool first = true;
            for (int j = 0; j < n; j++)
            {
                float d = distances[(long)j * n + i];
                if (j != i && (first || d < nearest))
                {
                    nearest = d;
                    first = false;
                }
            }
            float beta = 1f, low = 0f, high = 0f, evaluated = 1f;
            bool hasLow = false, hasHigh = false;
            for (int step = 0; step < steps; step++)
            {
                evaluated = beta;
                float sum = 0f, weighted = 0f;
                for (int j = 0; j < n; j++)
                {
                    if (j == i)
                        continue;
                    float shifted = distances[(long)j * n + i] - nearest;
                    float w = XMath.Exp(-shifted * beta);
                    sum += w;
                    weighted += shifted * w;
                }
                float difference = XMath.Log(sum) + beta * weighted / sum - entropy;
                if (XMath.Abs(difference) <= tolerance)
                    break;
                if (difference > 0f)
                {
                    // Too flat: sharpen.
                    low = beta;
                    hasLow = true;
                    beta = hasHigh ? (beta + high) * 0.5f : beta * 2f;
                }
                else
                {
                    high = beta;
                    hasHigh = true;
                    beta = hasLow ? (beta + low) * 0.5f : beta * 0.5f;
                }
            }
            float total = 0f;
            for (int j = 0; j < n; j++)
            {
                if (j != i)
                    total += XMath.Exp(-(distances[(long)j * n + i] - nearest) * evaluated);
            }
            for (int j = 0; j < n; j++)
            {
                long at = (long)j * n + i;
                conditional[at] = j == i ? 0f : XMath.Exp(-(distances[at] - nearest) * evaluated) / total;
            }
        }
    }

    /// <summary>
    /// <c>p_ij = max((p(j|i) + p(i|j)) / (2 n), floor)</c> off the diagonal, 0 on it: the symmetric
    /// joint probabilities (each conditional row sums to 1, so the matrix sums to 1 up to rounding).
    /// One work-item per pair.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index <c>i * n + j</c>.</param>
    /// <param name="work">The split of the <c>n * n</c> pairs over work-items.</param>
    /// <param name="conditional">Conditional probabilities <c>[n, n]</c> (either orientation: the sum is symmetric).</param>
    /// <param name="joint">Receives P <c>[n, n]</c>.</param>
    /// <param name="n">Points.</param>
    /// <param name="floor">The smallest off-diagonal probability (float64's machine epsilon, as scikit-learn).</param>
    [Loader("Tsne.JointAffinities")]
    public static void JointAffinities(Index1D thread, WorkRange work, ArrayView<float> conditional, ArrayView<float> joint, int n, float floor)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int i = element / n;
            int j = element - i * n;
            float p = (conditional[element] + conditional[(long)j * n + i]) / (2f * n);
            joint[element] = i == j ? 0f : XMath.Max(p, floor);
        }
    }
}
