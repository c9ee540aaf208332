using Engine.Ops;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Ops;

[Collection(DeviceCollection.Name)]
public sealed class TensorOpsTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Fact]
    public void FillSetsEveryElement()
    {
        using var x = Tensor.Empty(_device, 3, 17);
        TensorOps.Fill(x, -2.5f);
        Assert.All(x.ToArray(), v => Assert.Equal(-2.5f, v));
        using var indices = IntTensor.Empty(_device, 1025);
        TensorOps.Fill(indices, 42);
        Assert.All(indices.ToArray(), v => Assert.Equal(42, v));
    }

    [Fact]
    public void CopyAndCloneDuplicateValues()
    {
        float[] data = Reference.Random(1025, 1);
        using var x = Tensor.FromArray(_device, data, 1025);
        using var y = Tensor.Zeros(_device, 1025);
        TensorOps.Copy(x, y);
        Reference.AssertExactly(data, y.ToArray(), "copy");
        using var clone = TensorOps.Clone(x);
        Assert.False(clone.SharesStorageWith(x));
        Reference.AssertExactly(data, clone.ToArray(), "clone");
        using var wrong = Tensor.Zeros(_device, 1024);
        var error = Assert.Throws<ArgumentException>(() => TensorOps.Copy(x, wrong));
        Assert.Contains("source has shape [1025] but destination has shape [1024]", error.Message);
    }

    [Fact]
    public void AxpyAndScaleMatchTheHost()
    {
        float[] xs = Reference.Random(257, 2);
        float[] ys = Reference.Random(257, 3);
        using var x = Tensor.FromArray(_device, xs, 257);
        using var y = Tensor.FromArray(_device, ys, 257);
        TensorOps.Axpy(-1.5f, x, y);
        // The host rounds the product, then the sum; CUDA fuses y += a * x into one FFMA (PTX ISA 9.7.3.5),
        // rounding once: within u |a x| of the product's rounding plus u |y + a x| for each sum's.
        float[] expected = xs.Select((v, i) => ys[i] + -1.5f * v).ToArray();
        DeviceRounding.AssertExactlyOrWithin(_device, expected, y.ToArray(),
            i => DeviceRounding.Unit * (Math.Abs(-1.5 * xs[i]) + 2 * Math.Abs(ys[i] + -1.5 * xs[i])), "axpy against the host");
        TensorOps.Scale(x, 4f);
        float[] scaled = x.ToArray();
        for (int i = 0; i < xs.Length; i++)
            Assert.Equal(xs[i] * 4f, scaled[i]);
    }

    [Fact]
    public void ChannelBiasIsAddedPerChannel()
    {
        const int n = 2, c = 3, h = 5, w = 7;
        float[] xs = Reference.Random(n * c * h * w, 4);
        float[] bias = [10f, -20f, 0.5f];
        using var x = Tensor.FromArray(_device, xs, n, c, h, w);
        using var b = Tensor.FromArray(_device, bias, c);
        TensorOps.AddChannelBias(x, b);
        float[] actual = x.ToArray();
        for (int i = 0; i < xs.Length; i++)
            Assert.Equal(xs[i] + bias[i / (h * w) % c], actual[i]);

        using var wrong = Tensor.Zeros(_device, 4);
        var error = Assert.Throws<ArgumentException>(() => TensorOps.AddChannelBias(x, wrong));
        Assert.Contains("bias must be [3] for x of shape [2, 3, 5, 7], got [4]", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void SumAlongAnAxisMatchesFloat64(int axis)
    {
        int[] dims = [4, 33, 6];
        float[] xs = Reference.Random(4 * 33 * 6, 5 + axis);
        using var x = Tensor.FromArray(_device, xs, dims);
        using var sum = TensorOps.Sum(x, axis);
        int a = axis < 0 ? axis + 3 : axis;
        int outer = dims[..a].Aggregate(1, (p, d) => p * d);
        int inner = dims[(a + 1)..].Aggregate(1, (p, d) => p * d);
        Assert.Equal(outer * inner, sum.Numel);
        var expected = new double[outer * inner];
        var scale = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
                for (int k = 0; k < dims[a]; k++)
                {
                    double v = xs[(o * dims[a] + k) * inner + j];
                    expected[o * inner + j] += v;
                    scale[o * inner + j] += Math.Abs(v);
                }
        Reference.AssertWithinDotBound(sum.ToArray(), expected, scale, dims[a], $"sum over axis {axis}");
    }

    [Fact]
    public void SummingAVectorGivesAScalar()
    {
        using var x = Tensor.FromArray(_device, [1f, 2f, 3f, 4.5f], 4);
        using var sum = TensorOps.Sum(x, 0);
        Assert.Equal(0, sum.Shape.Rank);
        Assert.Equal([10.5f], sum.ToArray());
    }

    [Fact]
    public void TensorsOnAnotherDeviceAreRejected()
    {
        using var other = Engine.Devices.ComputeDevice.Open("cpu");
        using var x = Tensor.Zeros(_device, 3);
        using var y = Tensor.Zeros(other, 3);
        if (ReferenceEquals(_device, other))
            Assert.Fail("Open must return a new device.");
        var error = Assert.Throws<ArgumentException>(() => TensorOps.Axpy(1f, x, y));
        Assert.NotEqual(_device.Name, other.Name); // two devices of one spec are told apart: cpu#0 and cpu#3
        Assert.Contains($"tensors are on different devices ({_device.Name} and {other.Name})", error.Message);
    }
}
