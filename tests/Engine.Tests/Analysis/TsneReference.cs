namespace Engine.Tests.Analysis;

/// <summary>
/// Exact t-SNE in float64, written from van der Maaten and Hinton (2008) and scikit-learn's
/// documented exact method, independently of the engine: bisection on each point's precision
/// without the engine's shift by the nearest distance, the gradient in its textbook form
/// <c>4 sum_j (a p_ij - q_ij) w_ij (y_i - y_j)</c> (the engine splits it into attraction and
/// repulsion), and the descent with momentum and gains. Arrays are row-major.
/// </summary>
internal static class TsneReference
{
    private const double Floor = 2.220446049250313e-16;

    /// <summary>P <c>[n, n]</c> for points <c>[n, dims]</c>.</summary>
    public static double[] JointProbabilities(float[] x, int dims, double perplexity, double tolerance = 1e-5, int steps = 100)
    {
        int n = x.Length / dims;
        double target = Math.Log(perplexity);
        var conditional = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            var d = new double[n];
            for (int j = 0; j < n; j++)
            {
                for (int c = 0; c < dims; c++)
                {
                    double diff = (double)x[i * dims + c] - x[j * dims + c];
                    d[j] += diff * diff;
                }
            }
            double beta = 1, low = double.NegativeInfinity, high = double.PositiveInfinity;
            var row = new double[n];
            for (int step = 0; step < steps; step++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++)
                    sum += row[j] = j == i ? 0 : Math.Exp(-d[j] * beta);
                double weighted = 0;
                for (int j = 0; j < n; j++)
                {
                    row[j] /= sum;
                    weighted += d[j] * row[j];
                }
                double difference = Math.Log(sum) + beta * weighted - target;
                if (Math.Abs(difference) <= tolerance)
                    break;
                if (difference > 0)
                {
                    low = beta;
                    beta = double.IsPositiveInfinity(high) ? beta * 2 : (beta + high) / 2;
                }
                else
                {
                    high = beta;
                    beta = double.IsNegativeInfinity(low) ? beta / 2 : (beta + low) / 2;
                }
            }
            Array.Copy(row, 0, conditional, i * n, n);
        }
        var p = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                p[i * n + j] = i == j ? 0 : Math.Max((conditional[i * n + j] + conditional[j * n + i]) / (2.0 * n), Floor);
        return p;
    }

    /// <summary>The Student-t kernel <c>w [n, n]</c> (0 on the diagonal) and Z for Y <c>[n, 2]</c>.</summary>
    private static (double[] W, double Z) Kernel(double[] y)
    {
        int n = y.Length / 2;
        var w = new double[n * n];
        double z = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i == j)
                    continue;
                double d0 = y[2 * i] - y[2 * j], d1 = y[2 * i + 1] - y[2 * j + 1];
                z += w[i * n + j] = 1 / (1 + d0 * d0 + d1 * d1);
            }
        }
        return (w, z);
    }

    /// <summary>KL(a P || Q(Y)) with scikit-learn's floors.</summary>
    public static double Divergence(double[] p, double[] y, double exaggeration = 1)
    {
        int n = y.Length / 2;
        var (w, z) = Kernel(y);
        double kl = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i == j)
                    continue;
                double pij = exaggeration * p[i * n + j];
                kl += pij * Math.Log(Math.Max(pij, Floor) / Math.Max(w[i * n + j] / z, Floor));
            }
        }
        return kl;
    }

    /// <summary>The gradient <c>[n, 2]</c> of KL(a P || Q(Y)).</summary>
    public static double[] Gradient(double[] p, double[] y, double exaggeration = 1)
    {
        int n = y.Length / 2;
        var (w, z) = Kernel(y);
        var g = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i == j)
                    continue;
                double pq = (exaggeration * p[i * n + j] - w[i * n + j] / z) * w[i * n + j];
                g[2 * i] += 4 * pq * (y[2 * i] - y[2 * j]);
                g[2 * i + 1] += 4 * pq * (y[2 * i + 1] - y[2 * j + 1]);
            }
        }
        return g;
    }

    /// <summary>
    /// The descent from <paramref name="y"/> (updated in place): <paramref name="exploration"/>
    /// iterations with P times <paramref name="exaggeration"/> and momentum 0.5, then momentum 0.8 up to
    /// <paramref name="iterations"/>; each stage starts with zero update and unit gains. No stopping
    /// rules (the short runs compared stop before they could fire).
    /// </summary>
    public static void Descend(double[] p, double[] y, int iterations, int exploration, double exaggeration, double rate)
    {
        var update = new double[y.Length];
        var gains = new double[y.Length];
        for (int i = 0; i < iterations; i++)
        {
            if (i == 0 || i == exploration)
            {
                Array.Clear(update);
                Array.Fill(gains, 1.0);
            }
            bool exploring = i < exploration;
            var g = Gradient(p, y, exploring ? exaggeration : 1);
            double momentum = exploring ? 0.5 : 0.8;
            for (int c = 0; c < y.Length; c++)
            {
                gains[c] = Math.Max(update[c] * g[c] < 0 ? gains[c] + 0.2 : gains[c] * 0.8, 0.01);
                update[c] = momentum * update[c] - rate * gains[c] * g[c];
                y[c] += update[c];
            }
        }
    }
}
