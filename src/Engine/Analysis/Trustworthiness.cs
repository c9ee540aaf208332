namespace Engine.Analysis;

/// <summary>
/// How well an embedding keeps each point's neighbourhood (Venna and Kaski 2001; scikit-learn's
/// <c>sklearn.manifold.trustworthiness</c>):
/// <c>T(k) = 1 - 2 / (n k (2n - 3k - 1)) sum_i sum_(j in U_i) (r(i, j) - k)</c>, where U_i holds the
/// points among i's k nearest in the embedding that are not among its k nearest in the input, and
/// r(i, j) is j's rank (1 = nearest) among i's input-space neighbours. 1 when every embedded
/// neighbourhood is an input neighbourhood; intruders that were far in the input cost most.
/// Euclidean distances in float64, ties broken by the lower index. Host code: a metric, computed
/// once, O(n^2 log n).
/// </summary>
public static class Trustworthiness
{
    /// <summary>T(k) of <paramref name="embedded"/> (<c>[n, embeddedDims]</c>) for <paramref name="input"/> (<c>[n, inputDims]</c>), both row-major.</summary>
    public static double Compute(float[] input, int inputDims, float[] embedded, int embeddedDims, int k = 10)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(embedded);
        if (inputDims < 1 || input.Length % inputDims != 0)
            throw new ArgumentException($"Trustworthiness: {input.Length} input values do not form points of {inputDims} coordinates.");
        if (embeddedDims < 1 || embedded.Length % embeddedDims != 0)
            throw new ArgumentException($"Trustworthiness: {embedded.Length} embedded values do not form points of {embeddedDims} coordinates.");
        int n = input.Length / inputDims;
        if (embedded.Length / embeddedDims != n)
            throw new ArgumentException($"Trustworthiness: {n} input points but {embedded.Length / embeddedDims} embedded points; they must match.");
        if (k < 1 || 2 * k >= n)
            throw new ArgumentException($"Trustworthiness: k = {k} must be at least 1 and below half the number of points, {n} / 2.");

        var penalties = new long[n];
        Parallel.For(0, n, i =>
        {
            // rank[j]: j's place among i's input-space neighbours, 1 = nearest.
            int[] byInput = Nearest(input, inputDims, n, i, n - 1);
            var rank = new int[n];
            for (int r = 0; r < byInput.Length; r++)
                rank[byInput[r]] = r + 1;
            long penalty = 0;
            foreach (int j in Nearest(embedded, embeddedDims, n, i, k))
                penalty += Math.Max(0, rank[j] - k);
            penalties[i] = penalty;
        });
        double total = penalties.Sum();
        return 1.0 - total * 2.0 / ((double)n * k * (2.0 * n - 3.0 * k - 1.0));
    }

    /// <summary>The <paramref name="count"/> points nearest to point i (i excluded), nearest first, ties by index.</summary>
    private static int[] Nearest(float[] points, int dims, int n, int i, int count)
    {
        var distances = new double[n - 1];
        var order = new int[n - 1];
        for (int j = 0, at = 0; j < n; j++)
        {
            if (j == i)
                continue;
            double sum = 0;
            for (int c = 0; c < dims; c++)
            {
                double d = (double)points[(long)i * dims + c] - points[(long)j * dims + c];
                sum += d * d;
            }
            distances[at] = sum;
            order[at++] = j;
        }
        // Array.Sort is unstable; the index order of equal distances is restored by the comparison.
        Array.Sort(order, (a, b) =>
        {
            int c = Distance(a).CompareTo(Distance(b));
            return c != 0 ? c : a.CompareTo(b);
        });
        return order[..count];

        double Distance(int j) => distances[j < i ? j : j - 1];
    }
}
