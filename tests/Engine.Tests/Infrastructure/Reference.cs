namespace Engine.Tests.Infrastructure;

/// <summary>Independent float64 host references and comparison helpers.</summary>
public static class Reference
{
    /// <summary>
    /// A seed for the test data of a case, the same in every process: FNV-1a of the case's text
    /// (a record's <c>GetHashCode</c> mixes in a per-process type hash, so it must not be used).
    /// </summary>
    public static int SeedOf(object testCase)
    {
        uint hash = 2166136261;
        foreach (char c in testCase.ToString() ?? "")
            hash = (hash ^ c) * 16777619;
        return (int)(hash & 0x7FFFFFFF);
    }

    /// <summary>Uniform values in [-1, 1) from a seeded generator.</summary>
    public static float[] Random(int count, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    /// <summary>
    /// <c>C = alpha op(A) op(B) + beta C0</c> in float64 for one matrix, row-major, with the
    /// sum of absolute products per element (the scale of float32 rounding error).
    /// </summary>
    public static (double[] Value, double[] AbsSum) Gemm(float[] a, float[] b, float[]? c0, int m, int n, int k,
        bool transposeA, bool transposeB, double alpha, double beta, long offsetA = 0, long offsetB = 0, long offsetC = 0)
    {
        var value = new double[m * n];
        var absSum = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = a[offsetA + (transposeA ? p * m + i : i * k + p)];
                    double y = b[offsetB + (transposeB ? j * k + p : p * n + j)];
                    sum += x * y;
                    abs += Math.Abs(x * y);
                }
                double previous = beta == 0 ? 0 : beta * c0![offsetC + i * n + j];
                value[i * n + j] = alpha * sum + previous;
                absSum[i * n + j] = Math.Abs(alpha) * abs + Math.Abs(previous);
            }
        }
        return (value, absSum);
    }

    /// <summary>
    /// Asserts <c>|actual - expected| &lt;= gamma_K * scale + 1e-30</c> per element, where
    /// <c>gamma_K = K u / (1 - K u)</c> is the worst-case bound of a K-term float32 dot product
    /// relative to the sum of absolute terms (Higham, Accuracy and Stability, 3.1).
    /// </summary>
    public static void AssertWithinDotBound(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, ReadOnlySpan<double> scale, int terms, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double u = Math.Pow(2, -24);
        double gamma = (terms + 2) * u / (1 - (terms + 2) * u);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            worst = Math.Max(worst, error / Math.Max(Math.Abs(expected[i]), 1));
            double bound = gamma * scale[i] + 1e-30;
            if (!(error <= bound))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (error {error:G3} > bound {bound:G3}).");
        }
        ErrorLog.Record(what, worst);
    }

    /// <summary>Asserts exact float equality per element, with a message naming the first mismatch.</summary>
    public static void AssertExactly(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}.");
        }
    }
}
