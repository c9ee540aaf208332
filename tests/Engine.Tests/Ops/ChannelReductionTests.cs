using Engine.Devices;
using Engine.Ops;
using Engine.Ops.Reduction;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Ops;

/// <summary>
/// The two-stage reductions on the kernel path (host path off, so every device runs the ILGPU
/// kernels): batch-norm statistics merged from many lanes of uneven length (Welford within a lane,
/// Chan across lanes, exact enough for data far from zero), batch norm's parameter gradients, and
/// the full sum of a buffer, each against float64.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class ChannelReductionTests(DeviceFixture fixture)
{
    private const int N = 4, C = 3, H = 17, W = 19, Plane = H * W, Count = N * Plane;
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Fact]
    public void ManyLanesOfUnevenLength()
    {
        int lanes = ChannelReduction.Lanes(Count);
        Assert.True(lanes > 8 && Count % lanes != 0, $"{lanes} lanes over {Count} values do not test the merge");
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1000f)] // a large mean: a one-pass sum of squares would lose the variance
    public void BatchStatisticsMatchFloat64(float offset)
    {
        float[] x = Reference.Random(N * C * Plane, 21, -1f, 1f).Select(v => v + offset).ToArray();
        using var scope = DisposeScope.Enter();
        using var kernels = ExecutionPaths.Override(hostPath: false);
        var rm = Tensor.FromArray(_device, [0.5f, -1f, 2f], C);
        var rv = Tensor.FromArray(_device, [1f, 0.25f, 4f], C);
        var (_, saved) = Engine.Functional.BatchNorm2d(Tensor.FromArray(_device, x, N, C, H, W), rm, rv,
            Tensor.Full(_device, 1f, C), Tensor.Zeros(_device, C), training: true);
        float[] mean = saved.Mean.ToArray(), invStd = saved.InvStd.ToArray(), runningMean = rm.ToArray(), runningVar = rv.ToArray();
        float[] rm0 = [0.5f, -1f, 2f], rv0 = [1f, 0.25f, 4f];
        for (int c = 0; c < C; c++)
        {
            var values = Values(x, c);
            double m = values.Average();
            double squares = values.Sum(v => (v - m) * (v - m));
            double variance = squares / Count;
            Reference.AssertWithinDotBound([mean[c]], [m], [values.Average(Math.Abs)], Count, $"mean[{c}]");
            Assert.InRange(Math.Abs(invStd[c] * Math.Sqrt(variance + 1e-5) - 1), 0, 1e-4);
            Assert.InRange(Math.Abs(runningMean[c] - (0.9 * rm0[c] + 0.1 * m)), 0, 1e-5 * Math.Max(1, Math.Abs(m)));
            Assert.InRange(Math.Abs(runningVar[c] / (0.9 * rv0[c] + 0.1 * squares / (Count - 1)) - 1), 0, 1e-4);
        }
    }

    [Fact]
    public void ParameterGradientsMatchFloat64()
    {
        float[] x = Reference.Random(N * C * Plane, 22, -2f, 2f);
        float[] dy = Reference.Random(x.Length, 23);
        float[] meanValues = [0.1f, -0.2f, 0.05f], invStdValues = [1.5f, 0.8f, 1.1f];
        using var scope = DisposeScope.Enter();
        using var kernels = ExecutionPaths.Override(hostPath: false);
        var saved = new BatchNormSaved(Tensor.FromArray(_device, meanValues, C), Tensor.FromArray(_device, invStdValues, C));
        var grads = Engine.Functional.BatchNorm2dBackward(Tensor.FromArray(_device, dy, N, C, H, W), Tensor.FromArray(_device, x, N, C, H, W),
            Tensor.Full(_device, 1f, C), saved, training: true);
        float[] dGamma = grads.Weight.ToArray(), dBeta = grads.Bias.ToArray();

        // Accumulating into the parameter gradients (as a training graph does) adds the same sums.
        var dWeight = Tensor.Full(_device, 1f, C);
        var dBias = Tensor.Full(_device, 1f, C);
        Engine.Ops.Normalization.BatchNorm2dOp.Backward(Tensor.FromArray(_device, x, N, C, H, W), Tensor.FromArray(_device, dy, N, C, H, W),
            Tensor.Full(_device, 1f, C), saved.Mean, saved.InvStd, training: true, dx: null, dWeight, dBias, accumulate: true);
        Assert.Equal(dGamma.Select(v => v + 1f), dWeight.ToArray());
        Assert.Equal(dBeta.Select(v => v + 1f), dBias.ToArray());
        for (int c = 0; c < C; c++)
        {
            double[] xs = Values(x, c), gs = Values(dy, c);
            double sumDy = gs.Sum(), sumDyXhat = 0, scaleDy = gs.Sum(Math.Abs), scaleDyXhat = 0;
            for (int i = 0; i < Count; i++)
            {
                double t = gs[i] * (xs[i] - meanValues[c]) * invStdValues[c];
                sumDyXhat += t;
                scaleDyXhat += Math.Abs(t);
            }
            Reference.AssertWithinDotBound([dBeta[c]], [sumDy], [scaleDy], Count, $"dBeta[{c}]");
            Reference.AssertWithinDotBound([dGamma[c]], [sumDyXhat], [scaleDyXhat * 2], Count, $"dGamma[{c}]");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(1025)]
    [InlineData(3_000_001)]
    public void FullSumMatchesFloat64(int length)
    {
        float[] values = Reference.Random(length, length % 97);
        using var scope = DisposeScope.Enter();
        using var kernels = ExecutionPaths.Override(hostPath: false);
        using var sum = FullSum.Of(Tensor.FromArray(_device, values, length));
        double expected = values.Sum(v => (double)v), scale = values.Sum(v => Math.Abs((double)v));
        Reference.AssertWithinDotBound(sum.ToArray(), [expected], [scale], length, $"sum of {length}");
    }

    private static double[] Values(float[] x, int c) =>
        Enumerable.Range(0, N).SelectMany(n => Enumerable.Range(0, Plane).Select(s => (double)x[(n * C + c) * Plane + s])).ToArray();
}
