using Engine.Devices;
using Engine.Kernels.Embedding;
using Engine.Ops;
using Engine.Ops.Random;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Analysis;

/// <summary>
/// Exact t-SNE (van der Maaten and Hinton 2008) on the engine's kernels, as scikit-learn's
/// <c>TSNE(method="exact", init="random")</c> runs it: P from a per-point bisection to the
/// perplexity; Y <c>[N, 2]</c> drawn from <c>N(0, 1e-4^2)</c>; gradient descent with momentum and
/// per-coordinate gains, first <see cref="TsneOptions.ExplorationIterations"/> iterations with P
/// exaggerated and momentum 0.5, then momentum 0.8 (each stage starts with zero update and unit
/// gains); every 50 iterations the divergence and the gradient's norm are read back for the two
/// stopping rules. Every sum runs in a fixed order, so a seed gives the same bits on a device each
/// time. Memory: two <c>[N, N]</c> float buffers while P is built, one afterwards, so N in the
/// few thousands; the work is O(N^2) per iteration.
/// </summary>
public static class Tsne
{
    /// <summary>Iterations between reads of the divergence and the gradient's norm, as scikit-learn.</summary>
    public const int CheckInterval = 50;

    private const float MinGain = 0.01f, InitialStd = 1e-4f, ExplorationMomentum = 0.5f, FinalMomentum = 0.8f;

    /// <summary>Embeds <paramref name="x"/> <c>[N, D]</c> in two dimensions.</summary>
    public static TsneResult Run(Tensor x, TsneOptions? options = null)
    {
        options ??= new TsneOptions();
        int n = CheckPoints(x);
        options.Validate(n);
        float rate = options.LearningRateFor(n);
        var device = x.Device;
        using var p = TsneAffinities.Joint(x, options.Perplexity, options.PerplexityTolerance);
        using var y = Tensor.Empty(device, n, 2);
        using var update = Tensor.Empty(device, n, 2);
        using var gains = Tensor.Empty(device, n, 2);
        using var gradient = Tensor.Empty(device, n, 2); // [N, 2], the gain-scaled gradient of the last step
        using var objective = new TsneObjective(p);
        new RandomGenerator(options.Seed).Normal(y, 0f, InitialStd);

        var stage = new Stage(y, update, gains, gradient, objective, rate, options.MinGradientNorm);
        int exploration = Math.Min(options.ExplorationIterations, options.Iterations);
        int last = -1;
        if (exploration > 0)
            last = stage.Descend(0, exploration, ExplorationMomentum, options.EarlyExaggeration, exploration);
        if (last + 1 < options.Iterations)
            last = stage.Descend(last + 1, options.Iterations, FinalMomentum, 1f, options.IterationsWithoutProgress);

        objective.Forces(y);
        double divergence = objective.Divergence(y, 1f);
        return new TsneResult(y.ToArray(), n, divergence, last + 1, rate);
    }

    /// <summary>Embeds <paramref name="points"/> (<c>[N, dims]</c>, row-major, on the host) in two dimensions on <paramref name="device"/>.</summary>
    public static TsneResult Run(ComputeDevice device, ReadOnlySpan<float> points, int dims, TsneOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (dims < 1 || points.Length % dims != 0)
            throw new ArgumentException($"t-SNE: {points.Length} values do not form points of {dims} coordinates.");
        using var x = Tensor.FromArray(device, points, points.Length / dims, dims);
        return Run(x, options);
    }

    /// <summary>
    /// A new P <c>[N, N]</c> for <paramref name="x"/> <c>[N, D]</c>: symmetric, 0 on the diagonal,
    /// summing to 1, each point's conditional distribution of the given perplexity.
    /// </summary>
    public static Tensor JointProbabilities(Tensor x, float perplexity = 30f, float tolerance = 1e-5f)
    {
        int n = CheckPoints(x);
        new TsneOptions { Perplexity = perplexity, PerplexityTolerance = tolerance }.Validate(n);
        return TsneAffinities.Joint(x, perplexity, tolerance);
    }

    /// <summary>A new <c>[N, 2]</c> tensor with the gradient of KL(a P || Q(Y)) in Y <c>[N, 2]</c>, for P <c>[N, N]</c> and a = <paramref name="exaggeration"/>.</summary>
    public static Tensor Gradient(Tensor p, Tensor y, float exaggeration = 1f)
    {
        CheckObjective(p, y);
        var gradient = Tensor.Empty(y.Device, y.Shape);
        using var objective = new TsneObjective(p);
        objective.Forces(y);
        objective.Gradient(gradient, exaggeration);
        return gradient;
    }

    /// <summary>KL(a P || Q(Y)) for P <c>[N, N]</c> and Y <c>[N, 2]</c>, with scikit-learn's floors on P and Q.</summary>
    public static double KlDivergence(Tensor p, Tensor y, float exaggeration = 1f)
    {
        CheckObjective(p, y);
        using var objective = new TsneObjective(p);
        objective.Forces(y);
        return objective.Divergence(y, exaggeration);
    }

    private static int CheckPoints(Tensor x)
    {
        Check.SameDevice("t-SNE", x.Device, x);
        if (x.Shape.Rank != 2 || x.Shape[1] < 1)
            throw new ArgumentException($"t-SNE: points must have shape [N, D] with D >= 1, got {x.Shape}.");
        if (x.Shape[0] < 2)
            throw new ArgumentException($"t-SNE needs at least 2 points, got {x.Shape[0]}.");
        return x.Shape[0];
    }

    private static void CheckObjective(Tensor p, Tensor y)
    {
        Check.SameDevice("t-SNE", p.Device, p, y);
        if (y.Shape.Rank != 2 || y.Shape[1] != 2 || y.Shape[0] < 2)
            throw new ArgumentException($"t-SNE: the embedding must have shape [N, 2] with N >= 2, got {y.Shape}.");
        if (p.Shape != new Shape(y.Shape[0], y.Shape[0]))
            throw new ArgumentException($"t-SNE: P has shape {p.Shape} but the embedding {y.Shape} needs [{y.Shape[0]}, {y.Shape[0]}].");
    }

    /// <summary>The descent's state and one stage of it (scikit-learn's <c>_gradient_descent</c>).</summary>
    private sealed class Stage(Tensor y, Tensor update, Tensor gains, Tensor gradient, TsneObjective objective, float rate, float minGradientNorm)
    {
        /// <summary>
        /// Iterations <c>[start, end)</c>; returns the last one run. Every <see cref="CheckInterval"/>-th
        /// iteration reads the divergence (at Y before the step) and the gradient's norm: the stage
        /// stops when the divergence has not improved for more than <paramref name="withoutProgress"/>
        /// iterations, or the norm is at most the minimum.
        /// </summary>
        internal int Descend(int start, int end, float momentum, float exaggeration, int withoutProgress)
        {
            int n = y.Shape[0];
            update.CopyFrom(new float[2 * n]);
            gains.CopyFrom(Enumerable.Repeat(1f, 2 * n).ToArray());
            var device = y.Device;
            var step = device.Kernel(TsneGradientLoaders.Step);
            double best = double.MaxValue;
            int bestIteration = start;
            for (int i = start; i < end; i++)
            {
                objective.Forces(y);
                bool check = (i + 1) % CheckInterval == 0;
                double error = check ? objective.Divergence(y, exaggeration) : 0;
                step(2 * n, y.View, objective.Attraction.View, objective.Repulsion.View, objective.Z.View,
                    update.View, gains.View, gradient.View, exaggeration, momentum, rate, MinGain);
                if (!check)
                    continue;
                if (error < best)
                {
                    best = error;
                    bestIteration = i;
                }
                else if (i - bestIteration > withoutProgress)
                    return i;
                if (Norm(gradient.ToArray()) <= minGradientNorm)
                    return i;
            }
            return end - 1;
        }

        private static double Norm(float[] values)
        {
            double sum = 0;
            foreach (float v in values)
                sum += (double)v * v;
            return Math.Sqrt(sum);
        }
    }
}
