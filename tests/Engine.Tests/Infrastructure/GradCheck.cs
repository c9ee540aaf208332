namespace Engine.Tests.Infrastructure;

/// <summary>
/// Central differences of a float64 reference: the gradient of <c>L = sum(dy * f(inputs))</c>
/// with respect to one input, which is what an op's backward pass must return for upstream dy.
/// </summary>
public static class GradCheck
{
    /// <summary>dL/d inputs[which] by central differences with step <paramref name="step"/>.</summary>
    public static double[] Numeric(Func<double[][], double[]> f, double[][] inputs, double[] dy, int which, double step = 1e-4)
    {
        var x = inputs[which];
        var gradient = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double saved = x[i];
            x[i] = saved + step;
            double plus = Dot(f(inputs), dy);
            x[i] = saved - step;
            double minus = Dot(f(inputs), dy);
            x[i] = saved;
            gradient[i] = (plus - minus) / (2 * step);
        }
        return gradient;
    }

    /// <summary>The inputs widened to float64.</summary>
    public static double[][] Widen(params float[][] inputs) => inputs.Select(a => a.Select(v => (double)v).ToArray()).ToArray();

    /// <summary>Element-wise absolute values.</summary>
    public static double[] Abs(double[] values) => values.Select(Math.Abs).ToArray();

    /// <summary>Asserts <c>|a - e| &lt;= rtol * max(|a|, |e|, floor)</c> element-wise, naming the first failure.</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double rtol, double floor, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(Math.Max(Math.Abs(actual[i]), Math.Abs(expected[i])), floor);
            double error = Math.Abs(actual[i] - expected[i]);
            worst = Math.Max(worst, error / scale);
            if (!(error <= rtol * scale))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (relative error {error / scale:G3} > {rtol:G3}).");
        }
        ErrorLog.Record(what, worst);
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }

    /// <summary>
    /// Checks a compiled training graph's parameter gradients (already computed by a backward pass)
    /// against central differences of its scalar <paramref name="loss"/>, for the
    /// <paramref name="perParameter"/> largest entries of each parameter given: within 5% or the
    /// float32 rounding of the loss's differences (a loss near 40 carries about 4e-3 at a step of 1e-3).
    /// </summary>
    public static void AssertParameterGradients(Engine.Graph.CompiledGraph plan, Engine.Graph.Node loss,
        IEnumerable<(string Name, Engine.Graph.Parameter Parameter)> parameters, int perParameter, string what)
    {
        foreach (var (name, p) in parameters)
        {
            float[] analytic = p.Grad.ToArray();
            float[] v = p.Value.ToArray();
            foreach (int i in Enumerable.Range(0, v.Length).OrderByDescending(j => Math.Abs(analytic[j])).Take(perParameter))
            {
                float saved = v[i];
                const float step = 1e-3f;
                v[i] = saved + step; p.Value.CopyFrom(v); plan.Forward(); double plus = plan.Value(loss).ToArray()[0];
                v[i] = saved - step; p.Value.CopyFrom(v); plan.Forward(); double minus = plan.Value(loss).ToArray()[0];
                v[i] = saved; p.Value.CopyFrom(v);
                double numeric = (plus - minus) / (2 * step);
                double rounding = 4 * Math.Max(Math.Abs(plus), 1) * 1.2e-7 / step;
                Assert.True(Math.Abs(numeric - analytic[i]) <= 5e-2 * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])) + rounding,
                    $"{what} {name}[{i}]: backward {analytic[i]}, central differences {numeric}");
            }
        }
    }
}

/// <summary>
/// The largest relative error seen per op family in this run, written to the test output
/// directory as errors.txt when the suite ends, for the issue notes.
/// </summary>
public static class ErrorLog
{
    private static readonly Dictionary<string, double> Worst = new();

    /// <summary>Records an observed relative error under the op name (text before the first colon or space).</summary>
    public static void Record(string what, double relativeError)
    {
        string key = what.Split(':', ' ')[0];
        lock (Worst)
        {
            Worst[key] = Math.Max(Worst.GetValueOrDefault(key), relativeError);
            File.WriteAllLines(Path.Combine(AppContext.BaseDirectory, $"errors-{Environment.GetEnvironmentVariable("ENGINE_DEVICE") ?? "cpu"}.txt"),
                Worst.OrderBy(p => p.Key).Select(p => $"{p.Key}\t{p.Value:G3}"));
        }
    }
}
