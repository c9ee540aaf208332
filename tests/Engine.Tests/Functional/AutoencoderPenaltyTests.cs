using Engine.Graph;
using Engine.Ops.Losses;
using Engine.Ops.Random;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Functional;

/// <summary>
/// The ops the autoencoder family adds: <c>l1_loss</c> (the sparse penalty), the contractive
/// penalty of a sigmoid layer against a float64 reference of Rifai et al.'s formula and its
/// Jacobian computed column by column, and the denoising corruptions' statistics and replay.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class AutoencoderPenaltyTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Theory]
    [InlineData(LossReduction.Mean)]
    [InlineData(LossReduction.Sum)]
    [InlineData(LossReduction.BatchMean)]
    public void L1LossMatchesTheReferenceAndItsGradientTakesSignZeroAsZero(LossReduction reduction)
    {
        const int n = 3, features = 7;
        float[] x = Reference.Random(n * features, 5, -2f, 2f);
        float[] t = Reference.Random(n * features, 6, -2f, 2f);
        t[4] = x[4]; // a zero difference: PyTorch's gradient there is 0
        double divisor = reduction switch { LossReduction.Mean => n * features, LossReduction.Sum => 1, _ => n };
        Func<double[][], double[]> f = a => [a[0].Select((v, i) => Math.Abs(v - a[1][i])).Sum() / divisor];
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, n, features);
        var target = Tensor.FromArray(_device, t, n, features);
        var inputs = GradCheck.Widen(x, t);
        GradCheck.AssertClose(Engine.Functional.L1Loss(input, target, reduction).ToArray(), f(inputs), 1e-6, 1, $"L1 {reduction}");
        float[] dx = Engine.Functional.ElementwiseLossBackward(ElementwiseLoss.L1Loss, input, target, reduction).ToArray();
        Assert.Equal(0f, dx[4]);
        dx[4] = 0;
        var numeric = GradCheck.Numeric(f, inputs, [1.0], 0, 1e-5);
        numeric[4] = 0; // not differentiable there
        GradCheck.AssertClose(dx, numeric, 1e-4, 1e-4, $"L1 {reduction} backward");
        // NaN in, NaN out, as PyTorch.
        var nan = Tensor.FromArray(_device, [float.NaN, 1f], 1, 2);
        Assert.True(float.IsNaN(Engine.Functional.L1Loss(nan, Tensor.Zeros(_device, 1, 2)).ToArray()[0]));
    }

    // The penalty as Rifai et al. define it: for h = sigmoid(x W^T + b), the squared Frobenius norm of
    // dh/dx, built here from the Jacobian's entries J_ji = h_j (1 - h_j) W_ji one by one.
    private static double ContractiveReference(double[] h, double[] w, int n, int units, int inputs)
    {
        double sum = 0;
        for (int s = 0; s < n; s++)
            for (int j = 0; j < units; j++)
                for (int i = 0; i < inputs; i++)
                {
                    double jacobian = h[s * units + j] * (1 - h[s * units + j]) * w[j * inputs + i];
                    sum += jacobian * jacobian;
                }
        return sum / n;
    }

    [Fact]
    public void ContractivePenaltyIsTheJacobiansFrobeniusNormWithCentralDifferenceGradients()
    {
        const int n = 4, units = 5, inputs = 6;
        float[] h = Reference.Random(n * units, 7, 0.02f, 0.98f);
        float[] w = Reference.Random(units * inputs, 8, -1.5f, 1.5f);
        Func<double[][], double[]> f = a => [ContractiveReference(a[0], a[1], n, units, inputs)];
        using var scope = DisposeScope.Enter();
        var code = Tensor.FromArray(_device, h, n, units);
        var weight = Tensor.FromArray(_device, w, units, inputs);
        var all = GradCheck.Widen(h, w);
        GradCheck.AssertClose(Engine.Functional.ContractivePenalty(code, weight).ToArray(), f(all), 1e-5, 1e-3, "ContractivePenalty");
        var (dCode, dWeight) = Engine.Functional.ContractivePenaltyBackward(code, weight, gradLoss: 1.5f);
        GradCheck.AssertClose(dCode.ToArray(), GradCheck.Numeric(f, all, [1.5], 0, 1e-5), 1e-4, 1e-4, "ContractivePenalty code gradient");
        GradCheck.AssertClose(dWeight.ToArray(), GradCheck.Numeric(f, all, [1.5], 1, 1e-5), 1e-4, 1e-4, "ContractivePenalty weight gradient");
        var bad = Assert.Throws<ArgumentException>(() => Engine.Functional.ContractivePenalty(code, Tensor.Zeros(_device, units + 1, inputs)));
        Assert.Contains("got code [4, 5] and weight [6, 6]", bad.Message);
    }

    [Fact]
    public void ContractivePenaltyInAGraphAddsToTheLayersWeightGradient()
    {
        // h = sigmoid(linear(x)); loss = penalty: the graph's gradients against central differences through the whole layer.
        const int n = 3, inputs = 4, units = 3;
        var layer = new Engine.Modules.Layers.Linear(inputs, units);
        layer.Initialize(_device, seed: 3);
        try
        {
            float[] x = Reference.Random(n * inputs, 9, -1f, 1f);
            float[] w = layer.Weight.Value.ToArray(), b = layer.Bias!.Value.ToArray();
            Func<double[][], double[]> f = a =>
            {
                var h = new double[n * units];
                for (int s = 0; s < n; s++)
                    for (int j = 0; j < units; j++)
                    {
                        double z = b[j];
                        for (int i = 0; i < inputs; i++)
                            z += a[0][s * inputs + i] * a[1][j * inputs + i];
                        h[s * units + j] = 1 / (1 + Math.Exp(-z));
                    }
                return [ContractiveReference(h, a[1], n, units, inputs)];
            };
            var g = new GraphBuilder(_device);
            var input = g.Input("x", n, inputs);
            var penalty = layer.Call(input).Sigmoid().ContractivePenalty(layer.Weight);
            using var plan = g.Compile(penalty);
            plan.Value(input).CopyFrom(x);
            TensorOpsZero(layer.Weight.Grad);
            plan.Forward();
            plan.Backward();
            var all = GradCheck.Widen(x, w);
            GradCheck.AssertClose(plan.Value(penalty).ToArray(), f(all), 1e-5, 1e-3, "graph penalty");
            GradCheck.AssertClose(layer.Weight.Grad.ToArray(), GradCheck.Numeric(f, all, [1.0], 1, 1e-5), 1e-3, 1e-4, "graph weight gradient");
        }
        finally
        {
            layer.Release();
        }
    }

    private static void TensorOpsZero(Tensor t) => Engine.Ops.TensorOps.Fill(t, 0f);

    [Fact]
    public void DenoisingCorruptionsHaveTheirStatisticsAndReplayFromTheirCounter()
    {
        const int count = 20000;
        using var scope = DisposeScope.Enter();
        var x = Tensor.Full(_device, 0.5f, count);
        var y = Tensor.Empty(_device, count);
        var generator = new RandomGenerator(11);
        ulong offset = NoiseOp.Forward(NoiseKind.Gaussian, x, y, 0.3f, generator);
        float[] noisy = y.ToArray();
        double mean = noisy.Average(v => (double)v), sd = Math.Sqrt(noisy.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, 0.5 - 0.01, 0.5 + 0.01);   // 20,000 draws of sd 0.3: 0.01 is over 4 standard errors
        Assert.InRange(sd, 0.29, 0.31);

        offset = NoiseOp.Forward(NoiseKind.Masking, x, y, 0.25f, generator);
        float[] masked = y.ToArray();
        Assert.All(masked, v => Assert.True(v == 0f || v == 0.5f)); // kept values are not rescaled
        Assert.InRange(masked.Count(v => v == 0f) / (double)count, 0.24, 0.26);
        // Backward masks the gradient with the same draw.
        var dx = Tensor.Empty(_device, count);
        NoiseOp.Backward(NoiseKind.Masking, Tensor.Full(_device, 2f, count), dx, 0.25f, generator.Seed, offset);
        Assert.Equal(masked.Select(v => v == 0f ? 0f : 2f), dx.ToArray());
        Assert.Throws<ArgumentException>(() => NoiseOp.Forward(NoiseKind.Masking, x, y, 1f, generator));
        Assert.Throws<ArgumentException>(() => NoiseOp.Forward(NoiseKind.Gaussian, x, y, float.NaN, generator));
    }
}
