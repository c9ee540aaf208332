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
    public void OneCycleFollowsPyTorchsTwoPhaseCosineInRateAndMomentum()
    {
        var (layer, p) = Layer([0f, 0f, 0f], [0f, 0f, 0f]);
        using var sgd = new Sgd([p], learningRate: 0.01f, momentum: 0.9f);
        // max_lr 0.1 over 10 steps, PyTorch's defaults: start 0.1 / 25, end 0.004 / 1e4; phase one ends at step 0.3 * 10 - 1 = 2.
        var cycle = new OneCycleLR(sgd, maxRate: 0.1f, totalSteps: 10);
        double Cos(double start, double end, double t) => end + (start - end) / 2 * (Math.Cos(Math.PI * t) + 1);
        double[] rates = [0.004, 0.052, 0.1, Cos(0.1, 4e-7, 1 / 7.0), Cos(0.1, 4e-7, 2 / 7.0), Cos(0.1, 4e-7, 3 / 7.0), Cos(0.1, 4e-7, 4 / 7.0),
            Cos(0.1, 4e-7, 5 / 7.0), Cos(0.1, 4e-7, 6 / 7.0), 4e-7, Cos(0.1, 4e-7, 8 / 7.0)];
        double[] momenta = [0.95, 0.90, 0.85, .. Enumerable.Range(1, 8).Select(k => Cos(0.85, 0.95, k / 7.0))];
        Assert.Equal(0.004f, sgd.LearningRate, 1e-9f); // step 0 is set at construction
        Assert.Equal(0.95f, sgd.Momentum);
        for (int step = 0; step <= 10; step++)
        {
            Assert.Equal(rates[step], cycle.RateAt(step), 1e-7 * Math.Max(1, rates[step] / 1e-3));
            Assert.Equal(momenta[step], cycle.MomentumAt(step), 1e-6);
            if (step > 0)
            {
                cycle.Step();
                Assert.Equal((cycle.RateAt(step), cycle.MomentumAt(step)), (sgd.LearningRate, sgd.Momentum));
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(cycle.Step); // an eleventh step is past the cycle, as in PyTorch
        cycle.Resume(2);
        Assert.Equal(0.1f, sgd.LearningRate, 1e-8f);
        Assert.Equal(0.85f, sgd.Momentum, 1e-7f);

        // Adam's beta1 is the momentum cycled; SGD without momentum cannot cycle it.
        using var adam = new AdamW([p], 1e-3f);
        new OneCycleLR(adam, 0.1f, 10).Resume(2);
        Assert.Equal(0.85f, adam.Beta1, 1e-7f);
        using var plain = new Sgd([p], 0.1f);
        Assert.Contains("cycling momentum needs SGD made with momentum", Assert.Throws<ArgumentException>(() => new OneCycleLR(plain, 0.1f, 10)).Message);
        Assert.Equal(0.004f, new OneCycleLR(plain, 0.1f, 10, cycleMomentum: false).RateAt(0), 7);
        Assert.Contains("made without momentum", Assert.Throws<ArgumentException>(() => plain.Momentum = 0.9f).Message);
        Assert.Contains("pctStart must be in [0, 1], got 1.5", Assert.Throws<ArgumentException>(() => new OneCycleLR(sgd, 0.1f, 10, pctStart: 1.5f)).Message);
        Assert.Contains("total steps must be positive, got 0", Assert.Throws<ArgumentException>(() => new OneCycleLR(sgd, 0.1f, 0)).Message);
        Assert.Contains("the peak rate must be a positive finite number, got NaN", Assert.Throws<ArgumentException>(() => new OneCycleLR(sgd, float.NaN, 10)).Message);
        Assert.Contains("momenta must satisfy 0 <= base 0.96 <= max 0.95 < 1", Assert.Throws<ArgumentException>(() => new OneCycleLR(sgd, 0.1f, 10, baseMomentum: 0.96f)).Message);
        layer.Release();
    }

    [Fact]
    public void ReduceLROnPlateauFollowsPyTorchsRules()
    {
        var (layer, p) = Layer([0f, 0f, 0f], [0f, 0f, 0f]);
        using var sgd = new Sgd([p], learningRate: 1f);
        // Relative threshold 0.1: better means below 0.9 x best. Patience 1, cooldown 1, halving.
        var plateau = new ReduceLROnPlateau(sgd, PlateauMode.Min, factor: 0.5f, patience: 1, threshold: 0.1, cooldown: 1);
        double[] metrics = [10, 9.5, 9.2, 8, 8.5, 8.6, 8.7, 5, double.NaN, double.NaN];
        var rates = new List<float>();
        foreach (double metric in metrics)
        {
            plateau.Step(metric);
            rates.Add(sgd.LearningRate);
        }
        // 9.5 and 9.2 miss 9 (two bad epochs > patience 1: halve); 8 is better; cooldown; 8.5, 8.6 miss 7.2 (halve);
        // 8.7's bad epoch falls in the cooldown; 5 is better; NaN is never better (two: halve).
        Assert.Equal([1f, 1f, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.25f, 0.125f], rates);
        Assert.Equal(new PlateauState(5, 0, 1, 10, 0.125f), plateau.State);

        // Max mode, absolute threshold 0.01, no patience, a floor of 0.05: a reduction that would not move the rate by eps is none.
        using var other = new Sgd([p], learningRate: 1f);
        var max = new ReduceLROnPlateau(other, PlateauMode.Max, factor: 0.1f, patience: 0, threshold: 0.01, relativeThreshold: false, minimumRate: 0.05f);
        Assert.Equal([false, true, false, true, false], new[] { 0.5, 0.505, 0.52, 0.52, 0.52 }.Select(m => max.Step(m)).ToArray());
        Assert.Equal(0.05f, other.LearningRate);

        // A resumed scheduler carries on as the first would have.
        using var resumed = new Sgd([p], learningRate: 1f);
        var again = new ReduceLROnPlateau(resumed, PlateauMode.Min, factor: 0.5f, patience: 1, threshold: 0.1, cooldown: 1);
        again.Resume(plateau.State);
        Assert.Equal(0.125f, resumed.LearningRate);
        foreach (double metric in new[] { 6.0, 6.0, 6.0 })
        {
            plateau.Step(metric);
            again.Step(metric);
        }
        Assert.Equal(plateau.State, again.State);
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(sgd, factor: 1f));
        layer.Release();
    }

    [Fact]
    public void ParameterGroupsSetTheirOwnDecayAndRateAsPyTorchsParamGroups()
    {
        var layer = new Linear(3, 2); // weight [2, 3] (decayed), bias [2] (not)
        layer.Initialize(_device, seed: 4);
        float[] w = layer.Weight.Value.ToArray(), b = layer.Bias!.Value.ToArray();
        float[] gw = [0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f], gb = [0.7f, -0.8f];
        void Gradients()
        {
            layer.Weight.Grad.CopyFrom(gw);
            layer.Bias.Grad.CopyFrom(gb);
        }

        // [{"params": weights}, {"params": biases and norms, "weight_decay": 0}], SGD lr 0.1, weight decay 0.5.
        var groups = ParameterGroup.NoDecayOnBiasesAndNorms(layer.NamedParameters().Select(p => p.Parameter));
        Assert.Equal([[layer.Weight], [layer.Bias]], groups.Select(g => g.Parameters.ToArray()).ToArray());
        using (var sgd = new Sgd(groups, learningRate: 0.1f, weightDecay: 0.5f))
        {
            Assert.Equal(2, sgd.Runs.Count); // weight and bias lie side by side, but an update keeps to one group
            Assert.Single(sgd.MemoryRuns); // zeroing, the step guard and clipping still take one launch
            Gradients();
            sgd.Step();
            GradCheck.AssertClose(layer.Weight.Value.ToArray(), w.Select((v, i) => v - 0.1 * (gw[i] + 0.5 * v)).ToArray(), 1e-6, 1, "decayed group");
            GradCheck.AssertClose(layer.Bias.Value.ToArray(), b.Select((v, i) => v - 0.1 * gb[i]).ToArray(), 1e-6, 1, "undecayed group");
        }

        // A group's own rate, scaled with the schedule: 0.01 at the base rate 0.1, so 0.005 when the rate is 0.05.
        w = layer.Weight.Value.ToArray();
        b = layer.Bias.Value.ToArray();
        using (var sgd = new Sgd([new ParameterGroup([layer.Weight]), new ParameterGroup([layer.Bias], LearningRate: 0.01f)], learningRate: 0.1f))
        {
            sgd.LearningRate = 0.05f;
            Gradients();
            sgd.Step();
            GradCheck.AssertClose(layer.Weight.Value.ToArray(), w.Select((v, i) => v - 0.05 * gw[i]).ToArray(), 1e-6, 1, "default group at the scheduled rate");
            GradCheck.AssertClose(layer.Bias.Value.ToArray(), b.Select((v, i) => v - 0.005 * gb[i]).ToArray(), 1e-6, 1, "own rate, scaled");
        }

        // AdamW's decoupled decay, only where the group keeps it: w (1 - lr wd) first, then the Adam step (lr sign(g) on step 1).
        w = layer.Weight.Value.ToArray();
        b = layer.Bias.Value.ToArray();
        using (var adamw = new AdamW(ParameterGroup.NoDecayOnBiasesAndNorms([layer.Weight, layer.Bias]), learningRate: 0.01f, weightDecay: 0.1f))
        {
            Gradients();
            adamw.Step();
            GradCheck.AssertClose(layer.Weight.Value.ToArray(), w.Select((v, i) => v * (1 - 0.01 * 0.1) - 0.01 * Math.Sign(gw[i])).ToArray(), 1e-5, 1, "AdamW decayed group");
            GradCheck.AssertClose(layer.Bias.Value.ToArray(), b.Select((v, i) => v - 0.01 * Math.Sign(gb[i])).ToArray(), 1e-5, 1, "AdamW undecayed group");
        }

        Assert.Contains("more than one parameter group", Assert.Throws<ArgumentException>(() => new Sgd([new ParameterGroup([layer.Weight]), new ParameterGroup([layer.Weight, layer.Bias])], 0.1f)).Message);
        Assert.Contains("Parameter group 1", Assert.Throws<ArgumentException>(() => new Sgd([new ParameterGroup([layer.Weight]), new ParameterGroup([layer.Bias], WeightDecay: -1f)], 0.1f)).Message);
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
