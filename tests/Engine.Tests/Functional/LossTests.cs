using Engine.Ops.Losses;
using Engine.Ops.Random;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Functional;

[Collection(DeviceCollection.Name)]
public sealed class LossTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    private static double CrossEntropyReference(double[] logits, int[] targets, int n, int c, int plane, int ignore)
    {
        double sum = 0;
        int counted = 0;
        for (int i = 0; i < n; i++)
            for (int s = 0; s < plane; s++)
            {
                int t = targets[i * plane + s];
                if (t == ignore)
                    continue;
                var values = Enumerable.Range(0, c).Select(k => logits[(i * c + k) * plane + s]).ToArray();
                double max = values.Max();
                sum += max + Math.Log(values.Sum(v => Math.Exp(v - max))) - values[t];
                counted++;
            }
        return sum / counted;
    }

    [Theory]
    [InlineData(4, 3, 1)]     // classification [N, C]
    [InlineData(2, 4, 6)]     // per-pixel segmentation [N, C, H*W]
    public void CrossEntropyMatchesTheReferenceAndIgnoresTheIgnoreIndex(int n, int c, int plane)
    {
        float[] logits = Reference.Random(n * c * plane, 1, -3f, 3f);
        var random = new Random(2);
        int[] targets = Enumerable.Range(0, n * plane).Select(_ => random.Next(c)).ToArray();
        targets[1] = -100;
        using var scope = DisposeScope.Enter();
        int[] shape = plane == 1 ? [n, c] : [n, c, 2, plane / 2];
        int[] targetShape = plane == 1 ? [n] : [n, 2, plane / 2];
        var x = Tensor.FromArray(_device, logits, shape);
        var t = IntTensor.FromArray(_device, targets, targetShape);
        var loss = Engine.Functional.CrossEntropy(x, t);
        Func<double[][], double[]> f = a => [CrossEntropyReference(a[0], targets, n, c, plane, -100)];
        GradCheck.AssertClose(loss.ToArray(), f(GradCheck.Widen(logits)), 1e-5, 1, "CrossEntropy");
        var dx = Engine.Functional.CrossEntropyBackward(x, t, gradLoss: 2f);
        GradCheck.AssertClose(dx.ToArray(), GradCheck.Numeric(f, GradCheck.Widen(logits), [2.0], 0, 1e-5), 1e-4, 1e-3, "CrossEntropy backward");
    }

    // PyTorch's cross_entropy(weight=w, ignore_index, label_smoothing=e, reduction="mean") in float64:
    // sum over counted positions of w[t] (1 - e) nll + e / C sum_c w[c] (-log p_c), over sum of w[t].
    private static double WeightedCrossEntropyReference(double[] logits, int[] targets, double[] w, double e, int n, int c, int plane, int ignore)
    {
        double sum = 0, divisor = 0;
        for (int i = 0; i < n; i++)
            for (int s = 0; s < plane; s++)
            {
                int t = targets[i * plane + s];
                if (t == ignore)
                    continue;
                var x = Enumerable.Range(0, c).Select(k => logits[(i * c + k) * plane + s]).ToArray();
                double max = x.Max();
                double lse = max + Math.Log(x.Sum(v => Math.Exp(v - max)));
                sum += w[t] * (1 - e) * (lse - x[t]) + e / c * Enumerable.Range(0, c).Sum(k => w[k] * (lse - x[k]));
                divisor += w[t];
            }
        return sum / divisor;
    }

    [Theory]
    [InlineData(4, 3, 1, true, 0f)]      // class weights alone
    [InlineData(4, 3, 1, false, 0.1f)]   // label smoothing alone
    [InlineData(2, 4, 6, true, 0.2f)]    // both, per pixel
    [InlineData(2, 4, 6, true, 1f)]      // all smoothing: the target only picks the weight
    public void CrossEntropyWithClassWeightsAndLabelSmoothingMatchesPyTorchsDefinition(int n, int c, int plane, bool weighted, float smoothing)
    {
        float[] logits = Reference.Random(n * c * plane, 4, -3f, 3f);
        var random = new Random(5);
        int[] targets = Enumerable.Range(0, n * plane).Select(_ => random.Next(c)).ToArray();
        targets[2] = 7; // a custom ignore_index
        float[] weights = weighted ? Enumerable.Range(0, c).Select(k => 0.5f + 0.75f * k).ToArray() : Enumerable.Repeat(1f, c).ToArray();
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, logits, plane == 1 ? [n, c] : [n, c, 2, plane / 2]);
        var t = IntTensor.FromArray(_device, targets, plane == 1 ? [n] : [n, 2, plane / 2]);
        var w = weighted ? Tensor.FromArray(_device, weights, c) : null;
        Func<double[][], double[]> f = a => [WeightedCrossEntropyReference(a[0], targets, GradCheck.Widen(weights)[0], smoothing, n, c, plane, 7)];
        var loss = Engine.Functional.CrossEntropy(x, t, ignoreIndex: 7, weight: w, labelSmoothing: smoothing);
        GradCheck.AssertClose(loss.ToArray(), f(GradCheck.Widen(logits)), 1e-5, 1, "weighted, smoothed CrossEntropy");
        var dx = Engine.Functional.CrossEntropyBackward(x, t, gradLoss: 2f, ignoreIndex: 7, weight: w, labelSmoothing: smoothing);
        GradCheck.AssertClose(dx.ToArray(), GradCheck.Numeric(f, GradCheck.Widen(logits), [2.0], 0, 1e-5), 1e-4, 1e-3, "weighted, smoothed CrossEntropy backward");
        Assert.All(Enumerable.Range(0, c), k => Assert.Equal(0f, dx.ToArray()[(2 / plane * c + k) * plane + 2 % plane])); // the ignored position

        // The same through a graph, which uploads the weights once.
        var g = new Engine.Graph.GraphBuilder(_device, training: true);
        var xn = g.Input("x", x.Shape, requiresGrad: true);
        var tn = g.IntInput("t", t.Shape.ToArray());
        var ln = Engine.Graph.NodeFunctions.CrossEntropy(xn, tn, ignoreIndex: 7, weight: weighted ? weights : null, labelSmoothing: smoothing);
        using var plan = g.Compile(ln);
        plan.Value(xn).CopyFrom(logits);
        plan.IntValue(tn).CopyFrom(targets);
        plan.Forward();
        plan.Backward();
        Assert.Equal(loss.ToArray()[0], plan.Value(ln).ToArray()[0]);
        Assert.Equal(dx.ToArray().Select(v => v / 2), plan.Grad(xn)!.ToArray());
    }

    [Fact]
    public void CrossEntropyRefusesBadWeightsAndSmoothingWhenBuilt()
    {
        var g = new Engine.Graph.GraphBuilder(_device, training: true);
        var x = g.Input("x", 2, 3);
        var t = g.IntInput("t", 2);
        Assert.Contains("class weights must be [3] for 3 classes, got [2]",
            Assert.Throws<ArgumentException>(() => Engine.Graph.NodeFunctions.CrossEntropy(x, t, weight: [1f, 2f])).Message);
        Assert.Contains("label smoothing must be in [0, 1], got 1.5",
            Assert.Throws<ArgumentException>(() => Engine.Graph.NodeFunctions.CrossEntropy(x, t, labelSmoothing: 1.5f)).Message);
        Assert.Contains("label smoothing must be in [0, 1], got NaN",
            Assert.Throws<ArgumentException>(() => Engine.Graph.NodeFunctions.CrossEntropy(x, t, labelSmoothing: float.NaN)).Message);
        // Every target ignored: 0 / 0, NaN, as PyTorch's mean gives.
        using var scope = DisposeScope.Enter();
        var logits = Tensor.FromArray(_device, [1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        Assert.True(float.IsNaN(Engine.Functional.CrossEntropy(logits, IntTensor.FromArray(_device, [-100, -100], 2)).ToArray()[0]));
    }

    [Fact]
    public void CrossEntropyIsStableForHugeLogitsAndFlagsBadTargets()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, [1000f, 0f, -1000f, 5000f, 5001f, 4999f], 2, 3);
        var loss = Engine.Functional.CrossEntropy(x, IntTensor.FromArray(_device, [0, 1], 2)).ToArray()[0];
        double expected = (0 + (Math.Log(Math.Exp(-1) + 1 + Math.Exp(-2)))) / 2; // sample 1: logsumexp - 5001
        Assert.Equal(expected, loss, 3); // float32 logits near 5000 carry about 3e-4 of rounding
        var bad = Engine.Functional.CrossEntropy(x, IntTensor.FromArray(_device, [0, 3], 2)).ToArray()[0];
        Assert.True(float.IsNaN(bad));
        Assert.Contains("targets must be [2] for logits [2, 3], got [3]",
            Assert.Throws<ArgumentException>(() => Engine.Functional.CrossEntropy(x, IntTensor.Zeros(_device, 3))).Message);
    }

    [Theory]
    [InlineData(ElementwiseLoss.BinaryCrossEntropyWithLogits, LossReduction.Mean)]
    [InlineData(ElementwiseLoss.BinaryCrossEntropyWithLogits, LossReduction.Sum)]
    [InlineData(ElementwiseLoss.BinaryCrossEntropyWithLogits, LossReduction.BatchMean)]
    [InlineData(ElementwiseLoss.MseLoss, LossReduction.Mean)]
    [InlineData(ElementwiseLoss.MseLoss, LossReduction.BatchMean)]
    public void ElementwiseLossesMatchTheReference(ElementwiseLoss kind, LossReduction reduction)
    {
        const int n = 3, features = 7;
        float[] x = Reference.Random(n * features, 3, -40f, 40f);
        float[] t = Reference.Random(n * features, 4, 0f, 1f);
        double divisor = reduction switch { LossReduction.Mean => n * features, LossReduction.Sum => 1, _ => n };
        Func<double[][], double[]> f = a => [a[0].Select((v, i) => kind == ElementwiseLoss.MseLoss
            ? (v - a[1][i]) * (v - a[1][i])
            : Math.Max(v, 0) - v * a[1][i] + Math.Log(1 + Math.Exp(-Math.Abs(v)))).Sum() / divisor];
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, n, features);
        var target = Tensor.FromArray(_device, t, n, features);
        var loss = kind == ElementwiseLoss.MseLoss ? Engine.Functional.MseLoss(input, target, reduction) : Engine.Functional.BinaryCrossEntropyWithLogits(input, target, reduction);
        var inputs = GradCheck.Widen(x, t);
        GradCheck.AssertClose(loss.ToArray(), f(inputs), 1e-5, 1, $"{kind} {reduction}");
        var dx = Engine.Functional.ElementwiseLossBackward(kind, input, target, reduction);
        GradCheck.AssertClose(dx.ToArray(), GradCheck.Numeric(f, inputs, [1.0], 0, 1e-5), 1e-4, 1e-4, $"{kind} {reduction} backward");
    }

    [Fact]
    public void AnElementwiseLossIsNamedAsPyTorchNamesItAndItsBackward()
    {
        using var scope = DisposeScope.Enter();
        var input = Tensor.Zeros(_device, 2, 3);
        var target = Tensor.Zeros(_device, 3, 2);
        Assert.StartsWith("MseLoss", Assert.ThrowsAny<ArgumentException>(() => Engine.Functional.MseLoss(input, target)).Message);
        Assert.StartsWith("MseLossBackward", Assert.ThrowsAny<ArgumentException>(() => Engine.Functional.ElementwiseLossBackward(ElementwiseLoss.MseLoss, input, target)).Message);
        Assert.StartsWith("L1LossBackward", Assert.ThrowsAny<ArgumentException>(() => Engine.Functional.ElementwiseLossBackward(ElementwiseLoss.L1Loss, input, target)).Message);
    }

    [Fact]
    public void GaussianKlMatchesTheClosedFormAndItsHandGradients()
    {
        float[] mu = [0f, 1f, -2f, 0.5f], logVar = [0f, 0.5f, -1f, 2f];
        using var scope = DisposeScope.Enter();
        var m = Tensor.FromArray(_device, mu, 2, 2);
        var lv = Tensor.FromArray(_device, logVar, 2, 2);
        double expected = Enumerable.Range(0, 4).Sum(i => -0.5 * (1 + logVar[i] - mu[i] * mu[i] - Math.Exp(logVar[i]))) / 2;
        Assert.Equal(expected, Engine.Functional.GaussianKl(m, lv).ToArray()[0], 5);
        Assert.Equal(0f, Engine.Functional.GaussianKl(Tensor.Zeros(_device, 2, 2), Tensor.Zeros(_device, 2, 2)).ToArray()[0]);
        var (dMu, dLogVar) = Engine.Functional.GaussianKlBackward(m, lv);
        Assert.Equal(mu.Select(v => v / 2f).ToArray(), dMu.ToArray());                     // mu / N
        GradCheck.AssertClose(dLogVar.ToArray(), logVar.Select(v => 0.5 * (Math.Exp(v) - 1) / 2).ToArray(), 1e-6, 1e-6, "GaussianKl backward");
    }

    [Fact]
    public void DiceLossMatchesTheReference()
    {
        float[] p = Reference.Random(2 * 9, 5, 0f, 1f), t = Reference.Random(2 * 9, 6).Select(v => v > 0 ? 1f : 0f).ToArray();
        Func<double[][], double[]> f = a =>
        {
            double inter = a[0].Select((v, i) => v * a[1][i]).Sum();
            return [1 - (2 * inter + 1) / (a[0].Sum() + a[1].Sum() + 1)];
        };
        using var scope = DisposeScope.Enter();
        var probabilities = Tensor.FromArray(_device, p, 2, 1, 3, 3);
        var target = Tensor.FromArray(_device, t, 2, 1, 3, 3);
        var inputs = GradCheck.Widen(p, t);
        GradCheck.AssertClose(Engine.Functional.DiceLoss(probabilities, target).ToArray(), f(inputs), 1e-5, 1, "DiceLoss");
        GradCheck.AssertClose(Engine.Functional.DiceLossBackward(probabilities, target).ToArray(), GradCheck.Numeric(f, inputs, [1.0], 0, 1e-5), 1e-4, 1e-4, "DiceLoss backward");
        Assert.Equal(0f, Engine.Functional.DiceLoss(target, target, 0f).ToArray()[0], 6); // perfect overlap
    }

    [Fact]
    public void ReparameterisationUsesDeviceNoiseAndHasHandComputedGradients()
    {
        const int count = 4000;
        using var scope = DisposeScope.Enter();
        var mu = Tensor.Full(_device, 1.5f, count);
        var logVar = Tensor.Full(_device, MathF.Log(4f), count); // std 2
        var (z, eps) = Engine.Functional.Reparameterize(mu, logVar, new RandomGenerator(7));
        float[] zs = z.ToArray(), es = eps.ToArray();
        for (int i = 0; i < count; i++)
            Assert.Equal(1.5f + 2f * es[i], zs[i], 4);
        double mean = es.Average(v => (double)v), variance = es.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, -0.1, 0.1);        // 4000 normal draws: 0.1 is over 6 standard errors
        Assert.InRange(variance, 0.85, 1.15);
        Assert.Equal(es, Engine.Functional.Reparameterize(mu, logVar, new RandomGenerator(7)).Eps.ToArray());

        var (dMu, dLogVar) = Engine.Functional.ReparameterizeBackward(Tensor.Full(_device, 3f, count), logVar, eps);
        Assert.All(dMu.ToArray(), v => Assert.Equal(3f, v));
        float[] dl = dLogVar.ToArray();
        for (int i = 0; i < count; i++)
            Assert.Equal(3f * es[i] * 0.5f * 2f, dl[i], 4); // dz * eps * exp(logvar / 2) / 2
    }
}
