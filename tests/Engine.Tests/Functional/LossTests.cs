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
    [InlineData(ElementwiseLoss.SquaredError, LossReduction.Mean)]
    [InlineData(ElementwiseLoss.SquaredError, LossReduction.BatchMean)]
    public void ElementwiseLossesMatchTheReference(ElementwiseLoss kind, LossReduction reduction)
    {
        const int n = 3, features = 7;
        float[] x = Reference.Random(n * features, 3, -40f, 40f);
        float[] t = Reference.Random(n * features, 4, 0f, 1f);
        double divisor = reduction switch { LossReduction.Mean => n * features, LossReduction.Sum => 1, _ => n };
        Func<double[][], double[]> f = a => [a[0].Select((v, i) => kind == ElementwiseLoss.SquaredError
            ? (v - a[1][i]) * (v - a[1][i])
            : Math.Max(v, 0) - v * a[1][i] + Math.Log(1 + Math.Exp(-Math.Abs(v)))).Sum() / divisor];
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, n, features);
        var target = Tensor.FromArray(_device, t, n, features);
        var loss = kind == ElementwiseLoss.SquaredError ? Engine.Functional.MseLoss(input, target, reduction) : Engine.Functional.BinaryCrossEntropyWithLogits(input, target, reduction);
        var inputs = GradCheck.Widen(x, t);
        GradCheck.AssertClose(loss.ToArray(), f(inputs), 1e-5, 1, $"{kind} {reduction}");
        var dx = Engine.Functional.ElementwiseLossBackward(kind, input, target, reduction);
        GradCheck.AssertClose(dx.ToArray(), GradCheck.Numeric(f, inputs, [1.0], 0, 1e-5), 1e-4, 1e-4, $"{kind} {reduction} backward");
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
