using Engine.Ops.Random;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Functional;

[Collection(DeviceCollection.Name)]
public sealed class LinearAndLayoutTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Fact]
    public void LinearForwardAndBackwardMatchTheReference()
    {
        const int n = 5, inF = 7, outF = 3;
        float[] x = Reference.Random(n * inF, 1), w = Reference.Random(outF * inF, 2), b = Reference.Random(outF, 3), dy = Reference.Random(n * outF, 4);
        Func<double[][], double[]> f = a =>
        {
            var y = new double[n * outF];
            for (int i = 0; i < n; i++)
                for (int o = 0; o < outF; o++)
                    y[i * outF + o] = a[2][o] + Enumerable.Range(0, inF).Sum(k => a[0][i * inF + k] * a[1][o * inF + k]);
            return y;
        };
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, n, inF);
        var weight = Tensor.FromArray(_device, w, outF, inF);
        var y = Engine.Functional.Linear(input, weight, Tensor.FromArray(_device, b, outF));
        var inputs = GradCheck.Widen(x, w, b);
        GradCheck.AssertClose(y.ToArray(), f(inputs), 1e-5, 1, "Linear forward");
        var grads = Engine.Functional.LinearBackward(Tensor.FromArray(_device, dy, n, outF), input, weight, true);
        var dyWide = GradCheck.Widen(dy)[0];
        GradCheck.AssertClose(grads.Input!.ToArray(), GradCheck.Numeric(f, inputs, dyWide, 0), 1e-5, 1, "Linear backward dx");
        GradCheck.AssertClose(grads.Weight.ToArray(), GradCheck.Numeric(f, inputs, dyWide, 1), 1e-5, 1, "Linear backward dw");
        GradCheck.AssertClose(grads.Bias!.ToArray(), GradCheck.Numeric(f, inputs, dyWide, 2), 1e-5, 1, "Linear backward db");
        Assert.Contains("weight must be [out_features, 7] for input [5, 7], got [3, 6]",
            Assert.Throws<ArgumentException>(() => Engine.Functional.Linear(input, Tensor.Zeros(_device, 3, 6))).Message);
    }

    [Fact]
    public void DropoutIsReproducibleScalesSurvivorsAndRegeneratesItsMask()
    {
        const int count = 20000;
        const float p = 0.3f;
        using var scope = DisposeScope.Enter();
        var x = Tensor.Full(_device, 2f, count);
        var (y1, offset1) = Engine.Functional.Dropout(x, p, true, new RandomGenerator(42));
        var (y2, _) = Engine.Functional.Dropout(x, p, true, new RandomGenerator(42));
        var generator = new RandomGenerator(42);
        var (_, firstOffset) = Engine.Functional.Dropout(x, p, true, generator);
        var (y3, secondOffset) = Engine.Functional.Dropout(x, p, true, generator);
        float[] a = y1.ToArray();
        Reference.AssertExactly(a, y2.ToArray(), "Dropout with the same seed");
        Assert.Equal(0ul, offset1);
        Assert.Equal((ulong)count, secondOffset - firstOffset);
        Assert.NotEqual(a, y3.ToArray());
        Assert.All(a, v => Assert.True(v == 0f || Math.Abs(v - 2f / (1 - p)) < 1e-6));
        double dropped = a.Count(v => v == 0f) / (double)count;
        Assert.InRange(dropped, p - 0.02, p + 0.02); // 20000 draws: 0.02 is over 6 standard deviations

        var dx = Engine.Functional.DropoutBackward(Tensor.Full(_device, 1f, count), p, 42, offset1).ToArray();
        for (int i = 0; i < count; i++)
            Assert.Equal(a[i] == 0f ? 0f : 1f / (1 - p), dx[i], 6);
        var (evalOutput, _) = Engine.Functional.Dropout(x, p, false, generator);
        Assert.All(evalOutput.ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void ConcatAlongChannelsAndItsBackwardSlice()
    {
        float[] a = Reference.Random(2 * 2 * 3 * 2, 1), b = Reference.Random(2 * 3 * 3 * 2, 2);
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.Concat(Tensor.FromArray(_device, a, 2, 2, 3, 2), Tensor.FromArray(_device, b, 2, 3, 3, 2));
        Assert.Equal(new Shape(2, 5, 3, 2), y.Shape);
        float[] values = y.ToArray();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 5; c++)
                for (int s = 0; s < 6; s++)
                    Assert.Equal(c < 2 ? a[(n * 2 + c) * 6 + s] : b[(n * 3 + c - 2) * 6 + s], values[(n * 5 + c) * 6 + s]);
        var parts = Engine.Functional.ConcatBackward(y, 2, 3);
        Assert.Equal(a, parts[0].ToArray());
        Assert.Equal(b, parts[1].ToArray());
        Assert.Contains("tensor 1 has shape [2, 3, 3, 3], which differs from tensor 0's [2, 2, 3, 2] outside dim 1",
            Assert.Throws<ArgumentException>(() => Engine.Functional.Concat(Tensor.Zeros(_device, 2, 2, 3, 2), Tensor.Zeros(_device, 2, 3, 3, 3))).Message);
    }

    [Theory]
    [InlineData(8, 8, 4, 4, 2, 2)]
    [InlineData(64, 64, 56, 56, 4, 4)]  // U-Net's 64 -> 56 skip crop
    [InlineData(7, 6, 4, 3, 2, 2)]      // odd differences: torchvision rounds half to even (1.5 -> 2)
    [InlineData(6, 6, 5, 5, 0, 0)]      // 0.5 -> 0
    public void CenterCropTakesTorchvisionsWindow(int h, int w, int oh, int ow, int top, int left)
    {
        float[] x = Enumerable.Range(0, 2 * h * w).Select(i => (float)i).ToArray();
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.CenterCrop(Tensor.FromArray(_device, x, 1, 2, h, w), oh, ow).ToArray();
        for (int p = 0; p < 2; p++)
            for (int r = 0; r < oh; r++)
                for (int c = 0; c < ow; c++)
                    Assert.Equal(x[(p * h + top + r) * w + left + c], y[(p * oh + r) * ow + c]);
        var dx = Engine.Functional.CenterCropBackward(Tensor.Full(_device, 1f, 1, 2, oh, ow), new Shape(1, 2, h, w)).ToArray();
        Assert.Equal(2 * oh * ow, dx.Count(v => v == 1f));
        Assert.Equal(1f, dx[top * w + left]);
        Assert.Contains("must be positive and fit inside", Assert.Throws<ArgumentException>(() => Engine.Functional.CenterCrop(Tensor.Zeros(_device, 1, 1, 4, 4), 5, 4)).Message);
    }

    [Theory]
    [InlineData(12, 10, 4, 3, 5, 7)]   // FCN's skips: an arbitrary window inside
    [InlineData(6, 6, 6, 6, 0, 0)]     // the whole input (the padded FCN's offset-0 crops)
    [InlineData(9, 7, 2, 2, 7, 0)]     // against the bottom edge
    public void CropTakesTheWindowAtItsOffsetAndItsGradientScattersBack(int h, int w, int oh, int ow, int top, int left)
    {
        float[] x = Reference.Random(2 * h * w, h + w);
        float[] dy = Reference.Random(2 * oh * ow, top + left + 1);
        using var scope = DisposeScope.Enter();
        var y = Engine.Functional.Crop(Tensor.FromArray(_device, x, 2, 1, h, w), oh, ow, top, left).ToArray();
        var dx = Engine.Functional.CropBackward(Tensor.FromArray(_device, dy, 2, 1, oh, ow), new Shape(2, 1, h, w), top, left).ToArray();
        for (int p = 0; p < 2; p++)
        {
            for (int r = 0; r < h; r++)
            {
                for (int c = 0; c < w; c++)
                {
                    bool inside = r >= top && r < top + oh && c >= left && c < left + ow;
                    // y is a copy, so its gradient is dy inside the window and exactly 0 outside.
                    Assert.Equal(inside ? dy[(p * oh + r - top) * ow + c - left] : 0f, dx[(p * h + r) * w + c]);
                    if (inside)
                        Assert.Equal(x[(p * h + r) * w + c], y[(p * oh + r - top) * ow + c - left]);
                }
            }
        }
    }

    [Theory]
    [InlineData(4, 4, 1, 0, "(4, 4) window at offset (1, 0) does not lie inside")]
    [InlineData(2, 2, -1, 0, "(2, 2) window at offset (-1, 0) does not lie inside")]
    [InlineData(5, 2, 0, 0, "size (5, 2) must be positive and fit inside")]
    public void ACropOutsideTheInputIsRefusedNamingTheWindow(int oh, int ow, int top, int left, string message)
    {
        using var scope = DisposeScope.Enter();
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Engine.Functional.Crop(Tensor.Zeros(_device, 1, 1, 4, 4), oh, ow, top, left)).Message);
    }

    [Fact]
    public void AddAndFlatten()
    {
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray(_device, [1, 2, 3, 4, 5, 6], 1, 2, 3, 1);
        var b = Tensor.FromArray(_device, [10, 20, 30, 40, 50, 60], 1, 2, 3, 1);
        Assert.Equal([11f, 22, 33, 44, 55, 66], Engine.Functional.Add(a, b).ToArray());
        var flat = Engine.Functional.Flatten(a);
        Assert.Equal(new Shape(1, 6), flat.Shape);
        Assert.True(flat.SharesStorageWith(a));
        Assert.Contains("a has shape [1, 2, 3, 1] but b has shape [2, 3]",
            Assert.Throws<ArgumentException>(() => Engine.Functional.Add(a, Tensor.Zeros(_device, 2, 3))).Message);
    }
}
