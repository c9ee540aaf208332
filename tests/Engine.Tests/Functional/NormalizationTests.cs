using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Functional;

[Collection(DeviceCollection.Name)]
public sealed class NormalizationTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;
    private const int N = 3, C = 4, H = 5, W = 3;

    /// <summary>PyTorch's batch norm in float64: biased variance to normalise, per channel.</summary>
    private static double[] Reference(double[] x, double[] gamma, double[] beta, double[]? mean = null, double[]? variance = null, double eps = 1e-5)
    {
        int plane = H * W;
        var y = new double[x.Length];
        for (int c = 0; c < C; c++)
        {
            var values = Enumerable.Range(0, N).SelectMany(n => Enumerable.Range(0, plane).Select(s => x[(n * C + c) * plane + s])).ToArray();
            double m = mean?[c] ?? values.Average();
            double v = variance?[c] ?? values.Select(t => (t - m) * (t - m)).Average();
            for (int n = 0; n < N; n++)
                for (int s = 0; s < plane; s++)
                    y[(n * C + c) * plane + s] = (x[(n * C + c) * plane + s] - m) / Math.Sqrt(v + eps) * gamma[c] + beta[c];
        }
        return y;
    }

    [Fact]
    public void TrainingNormalisesWithBatchStatisticsAndUpdatesRunningStatistics()
    {
        float[] x = Engine.Tests.Infrastructure.Reference.Random(N * C * H * W, 1, -2f, 3f);
        float[] gamma = Engine.Tests.Infrastructure.Reference.Random(C, 2, 0.5f, 1.5f), beta = Engine.Tests.Infrastructure.Reference.Random(C, 3);
        float[] runningMean = [0.1f, 0.2f, 0.3f, 0.4f], runningVar = [1f, 2f, 0.5f, 1.5f];
        using var scope = DisposeScope.Enter();
        var rm = Tensor.FromArray(_device, runningMean, C);
        var rv = Tensor.FromArray(_device, runningVar, C);
        var (y, saved) = Engine.Functional.BatchNorm2d(Tensor.FromArray(_device, x, N, C, H, W), rm, rv,
            Tensor.FromArray(_device, gamma, C), Tensor.FromArray(_device, beta, C), training: true);
        var wide = GradCheck.Widen(x, gamma, beta);
        GradCheck.AssertClose(y.ToArray(), Reference(wide[0], wide[1], wide[2]), 1e-5, 1, "BatchNorm2d training");

        int count = N * H * W;
        for (int c = 0; c < C; c++)
        {
            var values = Enumerable.Range(0, N).SelectMany(n => Enumerable.Range(0, H * W).Select(s => (double)x[(n * C + c) * H * W + s])).ToArray();
            double mean = values.Average();
            double unbiased = values.Select(t => (t - mean) * (t - mean)).Sum() / (count - 1);
            Assert.Equal(0.9 * runningMean[c] + 0.1 * mean, rm.ToArray()[c], 5);
            Assert.Equal(0.9 * runningVar[c] + 0.1 * unbiased, rv.ToArray()[c], 5);
            Assert.Equal(mean, saved.Mean.ToArray()[c], 5);
        }
    }

    [Fact]
    public void EvaluationUsesRunningStatisticsAndLeavesThemAlone()
    {
        float[] x = Engine.Tests.Infrastructure.Reference.Random(N * C * H * W, 4);
        float[] gamma = [1f, 2f, 0.5f, -1f], beta = [0f, 1f, -1f, 0.25f];
        float[] runningMean = [0.1f, -0.2f, 0.3f, 0f], runningVar = [1f, 2f, 0.5f, 1.5f];
        using var scope = DisposeScope.Enter();
        var rm = Tensor.FromArray(_device, runningMean, C);
        var rv = Tensor.FromArray(_device, runningVar, C);
        var (y, _) = Engine.Functional.BatchNorm2d(Tensor.FromArray(_device, x, N, C, H, W), rm, rv,
            Tensor.FromArray(_device, gamma, C), Tensor.FromArray(_device, beta, C), training: false);
        var wide = GradCheck.Widen(x, gamma, beta, runningMean, runningVar);
        GradCheck.AssertClose(y.ToArray(), Reference(wide[0], wide[1], wide[2], wide[3], wide[4]), 1e-5, 1, "BatchNorm2d eval");
        Assert.Equal(runningMean, rm.ToArray());
        Assert.Equal(runningVar, rv.ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BackwardMatchesCentralDifferences(bool training)
    {
        float[] x = Engine.Tests.Infrastructure.Reference.Random(N * C * H * W, 5, -2f, 2f);
        float[] gamma = Engine.Tests.Infrastructure.Reference.Random(C, 6, 0.5f, 1.5f), beta = Engine.Tests.Infrastructure.Reference.Random(C, 7);
        float[] dy = Engine.Tests.Infrastructure.Reference.Random(x.Length, 8);
        float[] runningMean = [0.1f, -0.2f, 0.3f, 0f], runningVar = [1f, 2f, 0.5f, 1.5f];
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, N, C, H, W);
        var weight = Tensor.FromArray(_device, gamma, C);
        var (_, saved) = Engine.Functional.BatchNorm2d(input, Tensor.FromArray(_device, runningMean, C), Tensor.FromArray(_device, runningVar, C),
            weight, Tensor.FromArray(_device, beta, C), training);
        var grads = Engine.Functional.BatchNorm2dBackward(Tensor.FromArray(_device, dy, N, C, H, W), input, weight, saved, training);
        var stats = GradCheck.Widen(runningMean, runningVar);
        Func<double[][], double[]> f = training
            ? a => Reference(a[0], a[1], a[2])
            : a => Reference(a[0], a[1], a[2], stats[0], stats[1]);
        var inputs = GradCheck.Widen(x, gamma, beta);
        var dyWide = GradCheck.Widen(dy)[0];
        string what = $"BatchNorm2d backward training={training}";
        GradCheck.AssertClose(grads.Input.ToArray(), GradCheck.Numeric(f, inputs, dyWide, 0), 2e-4, 1, what + " dx");
        GradCheck.AssertClose(grads.Weight.ToArray(), GradCheck.Numeric(f, inputs, dyWide, 1), 1e-4, 1, what + " dgamma");
        GradCheck.AssertClose(grads.Bias.ToArray(), GradCheck.Numeric(f, inputs, dyWide, 2), 1e-4, 1, what + " dbeta");
    }

    [Fact]
    public void MismatchedParametersAreRejected()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.Zeros(_device, 2, 3, 4, 4);
        var three = Tensor.Zeros(_device, 3);
        var four = Tensor.Zeros(_device, 4);
        var error = Assert.Throws<ArgumentException>(() => Engine.Functional.BatchNorm2d(x, three, three, four, three, true));
        Assert.Contains("per-channel tensors must be [3] for input [2, 3, 4, 4], got [4]", error.Message);
        var single = Tensor.Zeros(_device, 1, 3, 1, 1);
        Assert.Contains("more than one value per channel", Assert.Throws<ArgumentException>(() =>
            Engine.Functional.BatchNorm2d(single, three, three, three, three, true)).Message);
    }
}
