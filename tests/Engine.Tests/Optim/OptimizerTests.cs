using Engine.Graph;
using Engine.Modules.Layers;
using Engine.Optim;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Optim;

[Collection(DeviceCollection.Name)]
public sealed class OptimizerTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    /// <summary>A linear layer whose weight is set to known values and whose gradient we write by hand.</summary>
    private (Linear Layer, Parameter Weight) Layer(float[] weight, float[] grad)
    {
        var layer = new Linear(3, 1, bias: false);
        layer.Initialize(_device);
        layer.Weight.Value.CopyFrom(weight);
        layer.Weight.Grad.CopyFrom(grad);
        return (layer, layer.Weight);
    }

    [Fact]
    public void SgdWithMomentumWeightDecayAndNesterovMatchesHandComputedSteps()
    {
        float[] w = [1f, -2f, 0.5f], g = [0.1f, 0.2f, -0.3f];
        var (layer, p) = Layer(w, g);
        using var sgd = new Sgd([p], learningRate: 0.1f, momentum: 0.9f, weightDecay: 0.01f, nesterov: true);
        sgd.Step(); // d = g + wd w; buf = d; step = d + mu buf
        var expected = new double[3];
        var buf = new double[3];
        for (int i = 0; i < 3; i++)
        {
            double d = g[i] + 0.01 * w[i];
            buf[i] = d;
            expected[i] = w[i] - 0.1 * (d + 0.9 * buf[i]);
        }
        GradCheck.AssertClose(p.Value.ToArray(), expected, 1e-6, 1, "SGD step 1");
        sgd.Step(); // same gradient again: buf = mu buf + d
        for (int i = 0; i < 3; i++)
        {
            double d = g[i] + 0.01 * expected[i];
            buf[i] = 0.9 * buf[i] + d;
            expected[i] -= 0.1 * (d + 0.9 * buf[i]);
        }
        GradCheck.AssertClose(p.Value.ToArray(), expected, 1e-6, 1, "SGD step 2");
        layer.Release();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdamAndAdamWMatchHandComputedSteps(bool decoupled)
    {
        float[] w = [1f, -2.5f, 0.5f], g = [0.1f, 0.2f, -0.3f]; // no gradient cancels its decay term exactly
        var (layer, p) = Layer(w, g);
        using Adam adam = decoupled ? new AdamW([p], 0.01f, weightDecay: 0.1f) : new Adam([p], 0.01f, weightDecay: 0.1f);
        double[] m = new double[3], v = new double[3], expected = w.Select(x => (double)x).ToArray();
        for (int t = 1; t <= 3; t++)
        {
            adam.Step();
            for (int i = 0; i < 3; i++)
            {
                double grad = g[i];
                if (decoupled)
                    expected[i] *= 1 - 0.01 * 0.1;
                else
                    grad += 0.1 * expected[i];
                m[i] = 0.9 * m[i] + 0.1 * grad;
                v[i] = 0.999 * v[i] + 0.001 * grad * grad;
                expected[i] -= 0.01 * (m[i] / (1 - Math.Pow(0.9, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(0.999, t))) + 1e-8);
            }
            GradCheck.AssertClose(p.Value.ToArray(), expected, 1e-5, 1, $"Adam decoupled={decoupled} step {t}");
        }
        layer.Release();
    }

    [Fact]
    public void GlobalNormClippingScalesGradientsOnTheDevice()
    {
        float[] w = [0f, 0f, 0f], g = [3f, 4f, 0f]; // norm 5
        var (layer, p) = Layer(w, g);
        using var sgd = new Sgd([p], learningRate: 1f) { MaxGradNorm = 1f };
        sgd.Step();
        Assert.Equal(5f, sgd.LastGradNorm.ToArray()[0], 5);
        GradCheck.AssertClose(p.Value.ToArray(), [-0.6, -0.8, 0], 1e-5, 1, "clipped step");
        sgd.MaxGradNorm = null;
        p.Value.CopyFrom(w);
        sgd.Step();
        GradCheck.AssertClose(p.Value.ToArray(), [-3, -4, 0], 1e-6, 1, "unclipped step");
        layer.Release();
    }

    [Fact]
    public void SchedulesFollowPyTorchsFormulas()
    {
        var (layer, p) = Layer([0f, 0f, 0f], [0f, 0f, 0f]);
        using var sgd = new Sgd([p], learningRate: 0.1f);
        var step = new StepLR(sgd, stepSize: 2, gamma: 0.5f);
        var rates = new List<float> { sgd.LearningRate };
        for (int i = 0; i < 5; i++)
        {
            step.Step();
            rates.Add(sgd.LearningRate);
        }
        Assert.Equal([0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f], rates.Select(r => MathF.Round(r, 6)).ToArray());

        var cosine = new CosineAnnealingLR(sgd, totalSteps: 4, minimumRate: 0.02f);
        Assert.Equal(0.1f, cosine.RateAt(0), 6);
        Assert.Equal(0.02f + 0.08f * (1 + MathF.Cos(MathF.PI / 4)) / 2, cosine.RateAt(1), 6);
        Assert.Equal(0.06f, cosine.RateAt(2), 6);
        Assert.Equal(0.02f, cosine.RateAt(4), 6);
        Assert.Equal(0.02f, cosine.RateAt(9), 6);

        var warmup = new LinearWarmup(sgd, warmupSteps: 4, after: s => cosine.RateAt(s));
        Assert.Equal([0.025f, 0.05f, 0.075f, 0.1f, 0.1f], Enumerable.Range(0, 5).Select(s => MathF.Round(warmup.RateAt(s), 6)).ToArray());
        Assert.Equal(0.06f, warmup.RateAt(6), 6);
        layer.Release();
    }

    [Fact]
    public void InvalidOptimiserSettingsAreRejected()
    {
        var (layer, p) = Layer([0f, 0f, 0f], [0f, 0f, 0f]);
        Assert.Contains("Nesterov momentum needs momentum > 0", Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1f, nesterov: true)).Message);
        Assert.Contains("betas (1, 0.999) must be in [0, 1)", Assert.Throws<ArgumentException>(() => new Adam([p], 0.1f, beta1: 1f)).Message);
        p.RequiresGrad = false;
        Assert.Contains("no trainable parameters", Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1f)).Message);
        layer.Release();
    }
}
