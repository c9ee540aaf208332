using Engine.Graph;
using Engine.Models;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>PSPNet: the pyramid pooling module's branches and sizes, the model's count and names, and a light configuration that learns.</summary>
[Collection(DeviceCollection.Name)]
public sealed class PspNetTests(DeviceFixture fixture)
{
    [Fact]
    public void ParameterCountsAndNamesFollowTheAuthorsLayout()
    {
        // ResNet-50 less fc; four 1x1 branches 2048 -> 512 with batch norm; a 3x3 4096 -> 512 convolution with batch norm; a 1x1 classifier.
        long backbone = ResNet.ResNet50Backbone().ParameterCount;
        Assert.Equal(23_508_032, backbone);
        long expected = backbone + 4 * (2048 * 512 + 2 * 512) + 4096 * 512 * 9 + 2 * 512 + 512 * 21 + 21;
        var model = new PspNet();
        Assert.Equal(expected, model.ParameterCount);
        Assert.Equal(46_592_597, model.ParameterCount);
        var names = model.NamedState().Select(s => s.Name).ToHashSet();
        foreach (string name in new[] { "backbone.layer4.2.conv3.weight", "ppm.features.0.1.weight", "ppm.features.3.2.running_var", "cls.0.weight", "cls.1.bias", "cls.4.weight", "cls.4.bias" })
            Assert.Contains(name, names);
        Assert.Equal(46_592_597, ModelFactory.Create(new ModelOptions("pspnet", 21, 3)).ParameterCount);
    }

    [Fact]
    public void BadSettingsAreRefusedNamingTheirValues()
    {
        Assert.Contains("the output stride must be 4, 8 or 16, got 32", Assert.Throws<ArgumentException>(() => new PspNet(outputStride: 32)).Message);
        Assert.Contains("bin sizes must be at least 1, got [1, 0]", Assert.Throws<ArgumentException>(() => new PyramidPooling(8, [1, 0])).Message);
        Assert.Contains("6 input channels must be positive and divide among the 4 bins", Assert.Throws<ArgumentException>(() => new PyramidPooling(6)).Message);
    }

    [Fact]
    public void EachBranchIsItsBinsAveragesProjectedAndSpreadBackWithAlignedCorners()
    {
        // One input channel per bin, each branch's 1x1 convolution the identity on one channel: a branch
        // then carries relu(batch norm of the bins' means), which evaluation mode with fresh statistics
        // (mean 0, variance 1) leaves as relu(mean / sqrt(1 + eps)).
        var module = new PyramidPooling(4, [1, 2, 3, 6]);
        module.Initialize(fixture.Device, seed: 1);
        try
        {
            foreach (var (name, p) in module.NamedParameters().Where(p => p.Name.EndsWith(".1.weight", StringComparison.Ordinal)))
            {
                int branch = name["features.".Length] - '0';
                p.Value.CopyFrom(Enumerable.Range(0, 4).Select(c => c == branch ? 1f : 0f).ToArray()); // [1, 4, 1, 1]
            }
            var g = new GraphBuilder(fixture.Device, training: false);
            var x = g.Input("x", 1, 4, 7, 12);
            var y = module.Call(x);
            Assert.Equal(new Shape(1, 8, 7, 12), y.Shape);
            using var plan = g.CompileInference(y);
            float[] input = Reference.Random(4 * 7 * 12, 3, 0f, 1f); // positive: ReLU keeps every mean
            plan.Value(x).CopyFrom(input);
            plan.Forward();
            float[] output = plan.Value(y).ToArray();
            Reference.AssertExactly(input, output[..(4 * 84)], "the features pass through first");
            int[] bins = [1, 2, 3, 6];
            double scale = 1 / Math.Sqrt(1 + 1e-5);
            for (int branch = 0; branch < 4; branch++)
            {
                int bin = bins[branch];
                // The bins' means of channel `branch` (PyTorch's adaptive windows), then bilinear with aligned corners to 7 x 12.
                double Mean(int i, int j)
                {
                    int h0 = i * 7 / bin, h1 = ((i + 1) * 7 + bin - 1) / bin, w0 = j * 12 / bin, w1 = ((j + 1) * 12 + bin - 1) / bin;
                    double sum = 0;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                            sum += input[branch * 84 + h * 12 + w];
                    return sum / ((h1 - h0) * (w1 - w0)) * scale;
                }
                var expected = new double[84];
                for (int h = 0; h < 7; h++)
                {
                    for (int w = 0; w < 12; w++)
                    {
                        double sh = bin == 1 ? 0 : h * (bin - 1) / 6.0, sw = bin == 1 ? 0 : w * (bin - 1) / 11.0;
                        int h0 = (int)sh, w0 = (int)sw, h1 = Math.Min(h0 + 1, bin - 1), w1 = Math.Min(w0 + 1, bin - 1);
                        double fh = sh - h0, fw = sw - w0;
                        expected[h * 12 + w] = (1 - fh) * ((1 - fw) * Mean(h0, w0) + fw * Mean(h0, w1)) + fh * ((1 - fw) * Mean(h1, w0) + fw * Mean(h1, w1));
                    }
                }
                for (int i = 0; i < 84; i++)
                    Assert.True(Math.Abs(output[(4 + branch) * 84 + i] - expected[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"branch of bin {bin}, pixel {i}: {output[(4 + branch) * 84 + i]} against {expected[i]}");
            }
        }
        finally
        {
            module.Release();
        }
    }

    [Fact]
    public void ALightConfigurationLearnsATinyBatch()
    {
        var model = new PspNet(classes: 2, inChannels: 1, width: 2, outputStride: 16, headChannels: 8);
        model.Initialize(fixture.Device, seed: 3);
        try
        {
            var (first, last) = BrightHalves.Train(model, fixture.Device, (x, y) => model.Call(x).CrossEntropy(y));
            Assert.True(float.IsFinite(last) && last < 0.6f * first, $"loss {first} -> {last}");
        }
        finally
        {
            model.Release();
        }
    }
}
