namespace Engine.Tests.Infrastructure;

/// <summary>Central differences for networks whose loss jumps where a max-pooling arg-max switches.</summary>
public static class PiecewiseGradCheck
{
    /// <summary>
    /// As <see cref="GradCheck.AssertParameterGradients"/>, for a loss that is only piecewise
    /// continuous: max-unpooling puts a value where its encoder's arg-max was, so a step that switches
    /// an arg-max moves values and the loss jumps. An entry is checked only where the loss is smooth
    /// across the step (its two one-sided differences agree within 20%); of the
    /// <c>4 * perParameter</c> largest entries, at least <paramref name="perParameter"/> must be.
    /// </summary>
    public static void AssertParameterGradients(Engine.Graph.CompiledGraph plan, Engine.Graph.Node loss,
        IEnumerable<(string Name, Engine.Graph.Parameter Parameter)> parameters, int perParameter, string what)
    {
        foreach (var (name, p) in parameters)
        {
            float[] analytic = p.Grad.ToArray();
            float[] v = p.Value.ToArray();
            plan.Forward();
            double centre = plan.Value(loss).ToArray()[0];
            int checkedEntries = 0;
            foreach (int i in Enumerable.Range(0, v.Length).OrderByDescending(j => Math.Abs(analytic[j])).Take(4 * perParameter))
            {
                float saved = v[i];
                const float step = 1e-3f;
                v[i] = saved + step; p.Value.CopyFrom(v); plan.Forward(); double plus = plan.Value(loss).ToArray()[0];
                v[i] = saved - step; p.Value.CopyFrom(v); plan.Forward(); double minus = plan.Value(loss).ToArray()[0];
                v[i] = saved; p.Value.CopyFrom(v);
                double rounding = 4 * Math.Max(Math.Abs(plus), 1) * 1.2e-7 / step;
                double right = (plus - centre) / step, left = (centre - minus) / step;
                if (Math.Abs(right - left) > 0.2 * Math.Max(Math.Abs(right), Math.Abs(left)) + 2 * rounding)
                    continue; // an arg-max switched inside the step
                double numeric = (plus - minus) / (2 * step);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 5e-2 * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])) + rounding,
                    $"{what} {name}[{i}]: backward {analytic[i]}, central differences {numeric}");
                checkedEntries++;
            }
            Assert.True(checkedEntries >= perParameter, $"{what} {name}: only {checkedEntries} of its {4 * perParameter} largest gradients lie where the loss is smooth");
        }
    }
}
