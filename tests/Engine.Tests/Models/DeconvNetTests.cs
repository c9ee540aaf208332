using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Models;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>DeconvNet: the released model's count, sizes, the decoder's use of the encoder's switches, learning and gradients.</summary>
[Collection(DeviceCollection.Name)]
public sealed class DeconvNetTests(DeviceFixture fixture)
{
    [Fact]
    public void TheReferenceCountFollowsTheReleasedPrototxtLayerByLayer()
    {
        // DeconvNet_inference_deploy.prototxt, in order: (in, out, kernel) of every convolution and
        // deconvolution, each with a bias and followed by BN (scale and shift), then seg-score.
        (int In, int Out, int K)[] layers =
        [
            (3, 64, 3), (64, 64, 3), (64, 128, 3), (128, 128, 3), (128, 256, 3), (256, 256, 3), (256, 256, 3),
            (256, 512, 3), (512, 512, 3), (512, 512, 3), (512, 512, 3), (512, 512, 3), (512, 512, 3), // conv1_1 .. conv5_3
            (512, 4096, 7), (4096, 4096, 1), (4096, 512, 7),                                        // fc6, fc7, fc6-deconv
            (512, 512, 3), (512, 512, 3), (512, 512, 3), (512, 512, 3), (512, 512, 3), (512, 256, 3), // deconv5_1 .. deconv4_3
            (256, 256, 3), (256, 256, 3), (256, 128, 3), (128, 128, 3), (128, 64, 3), (64, 64, 3), (64, 64, 3), // deconv3_1 .. deconv1_2
        ];
        long expected = layers.Sum(l => (long)l.In * l.Out * l.K * l.K + l.Out + 2 * l.Out) + 64 * 21 + 21;
        var model = new DeconvNet();
        Assert.Equal(expected, model.ParameterCount);
        Assert.Equal(251_805_653, model.ParameterCount);
        Assert.Equal(expected, ModelFactory.Create(new ModelOptions("deconvnet", 21, 3, ImageSize: 224)).ParameterCount);
        var shapes = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape);
        Assert.Equal(new Shape(4096, 512, 7, 7), shapes["fc6.0.weight"]);
        Assert.Equal(new Shape(4096, 512, 7, 7), shapes["fc6_deconv.0.weight"]); // transposed: [in, out, kH, kW]
        Assert.Equal(new Shape(512, 256, 3, 3), shapes["decoder4.6.weight"]);
        Assert.Equal(new Shape(21, 64, 1, 1), shapes["score.weight"]);
        var g = new GraphBuilder(fixture.Device, training: false);
        Assert.Equal(new Shape(1, 21, 224, 224), model.Call(g.Input("x", 1, 3, 224, 224)).Shape);
    }

    [Fact]
    public void LightConfigurationsKeepTheInputSize()
    {
        // The train command's light configuration on 64 x 96 composites: four blocks, a 4 x 6 bottleneck fc6 covers whole.
        var light = ModelFactory.Create(new ModelOptions("deconvnet", 11, 1, BaseWidth: 16, ImageSize: 64, ImageWidth: 96, Depth: 4, HeadChannels: 256));
        Assert.Equal(new Shape(256, 128, 4, 6), light.NamedParameters().Single(p => p.Name == "fc6.0.weight").Parameter.Shape);
        Assert.Equal(new Shape(2, 11, 64, 96), light.Call(new GraphBuilder(fixture.Device, training: false).Input("x", 2, 1, 64, 96)).Shape);
        // Odd sides unpool back to their own size; a larger input runs fully convolutionally.
        var odd = new DeconvNet(1, 3, width: 2, depth: 3, fcChannels: 4, imageSize: (37, 45));
        Assert.Equal(new Shape(1, 3, 37, 45), odd.Call(new GraphBuilder(fixture.Device, training: false).Input("x", 1, 1, 37, 45)).Shape);
        Assert.Equal(new Shape(1, 3, 61, 50), odd.Call(new GraphBuilder(fixture.Device, training: false).Input("x", 1, 1, 61, 50)).Shape);
        Assert.Contains("a 30 x 45 input pools to 3 x 5, smaller than fc6's 4 x 5 kernel",
            Assert.ThrowsAny<ArgumentException>(() => odd.Call(new GraphBuilder(fixture.Device, training: false).Input("x", 1, 1, 30, 45))).Message);
        Assert.Contains("depth must be between 1 and 5 (VGG-16's blocks), got 6", Assert.Throws<ArgumentException>(() => new DeconvNet(depth: 6)).Message);
        Assert.Contains("a 28 x 28 image has no bottleneck after 5 poolings: its sides must be at least 32",
            Assert.Throws<ArgumentException>(() => ModelFactory.Create(new ModelOptions("deconvnet", 11, 1))).Message);
    }

    [Fact]
    public void TheDecoderUnpoolsToTheEncodersSwitches()
    {
        // One channel, one block, a 4 x 6 image: every 3x3 layer the identity (centre tap 1), fc6 and
        // fc6_deconv all ones over the 2 x 3 bottleneck, fc7 and the score 1, biases 0. On a positive
        // image the network then carries s = the sum of the six window maxima to the position of each
        // window's maximum and 0 elsewhere; each of its seven batch norms (evaluation, fresh statistics)
        // scales by 1 / sqrt(1 + eps).
        var model = new DeconvNet(1, 1, width: 1, depth: 1, fcChannels: 1, imageSize: (4, 6));
        WithWeights(model, 1, () =>
        {
            foreach (var (name, p) in model.NamedParameters())
            {
                bool norm = name.Split('.') is [_, var index, _] && int.Parse(index, System.Globalization.CultureInfo.InvariantCulture) % 3 == 1;
                int n = (int)p.Shape.Numel;
                p.Value.CopyFrom(name.EndsWith(".bias", StringComparison.Ordinal) ? new float[n]
                    : norm || n != 9 ? Enumerable.Repeat(1f, n).ToArray()
                    : Enumerable.Range(0, 9).Select(i => i == 4 ? 1f : 0f).ToArray());
            }
            var g = new GraphBuilder(fixture.Device, training: false);
            var x = g.Input("x", 1, 1, 4, 6);
            var y = model.Call(x);
            // The unpooling reads the indices the encoder's pooling wrote.
            var unpool = g.Nodes.Select(n => n.Producer).OfType<MaxUnpool2dNode>().Distinct().Single();
            Assert.IsType<MaxPool2dNode>(unpool.Inputs[1].Producer);
            using var plan = g.CompileInference(y);
            float[] image = Reference.Random(24, 5, 0.1f, 1f);
            plan.Value(x).CopyFrom(image);
            plan.Forward();
            float[] output = plan.Value(y).ToArray();
            var expected = new double[24];
            var maxima = new List<int>();
            for (int wy = 0; wy < 2; wy++)
                for (int wx = 0; wx < 3; wx++)
                    maxima.Add(new[] { 0, 1, 6, 7 }.Select(o => 12 * wy + 2 * wx + o).MaxBy(i => image[i]));
            double s = maxima.Sum(i => (double)image[i]) * Math.Pow(1 / Math.Sqrt(1 + 1e-5), 7);
            foreach (int i in maxima)
                expected[i] = s;
            for (int i = 0; i < 24; i++)
                Assert.True(Math.Abs(output[i] - expected[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"pixel {i}: {output[i]} against {expected[i]} (switches at {string.Join(", ", maxima)})");
        });
    }

    [Fact]
    public void ALightConfigurationLearnsATinyBatch()
    {
        var model = new DeconvNet(1, 2, width: 2, depth: 2, fcChannels: 8, imageSize: 32);
        WithWeights(model, 3, () =>
        {
            var (first, last) = BrightHalves.Train(model, fixture.Device, (x, y) => model.Call(x).CrossEntropy(y));
            Assert.True(float.IsFinite(last) && last < 0.6f * first, $"loss {first} -> {last}");
        });
    }

    [Fact]
    public void ATinyNetworkPassesAGradientCheck()
    {
        // Two blocks on 8 x 8: few pooling windows, so few arg-max switches within a step (see
        // PiecewiseGradCheck). Batch norm in evaluation mode: fc6 and fc7 make one value a channel per
        // image, and normalised over the batch those values move every switch of the decoder at once
        // (the loss then jumps under most steps); batch norm's own backward is SegNet's, checked there.
        var model = new DeconvNet(1, 3, width: 2, depth: 2, fcChannels: 4, imageSize: 8);
        WithWeights(model, 2, () =>
        {
            var g = new GraphBuilder(fixture.Device, training: false);
            var x = g.Input("x", new Shape(2, 1, 8, 8), requiresGrad: true);
            var y = g.IntInput("y", 2, 8, 8);
            var loss = model.Call(x).CrossEntropy(y);
            using var plan = g.Compile(loss);
            float[] images = Reference.Random(2 * 64, 7, 0f, 1f);
            plan.Value(x).CopyFrom(images);
            plan.IntValue(y).CopyFrom(images.Select(v => v < 0.33f ? 0 : v < 0.66f ? 1 : 2).ToArray());
            plan.ZeroGrad();
            plan.Forward();
            plan.Backward();
            var chosen = model.NamedParameters().Where(p => p.Name is "encoder1.0.weight" or "fc6.0.weight" or "fc7.0.weight" or "fc6_deconv.0.weight"
                or "decoder2.3.weight" or "decoder1.0.weight" or "score.weight").ToList();
            Assert.Equal(7, chosen.Count);
            PiecewiseGradCheck.AssertParameterGradients(plan, loss, chosen, 4, "deconvnet");
        });
    }

    /// <summary>Runs <paramref name="body"/> on the model's weights initialised from <paramref name="seed"/>, releasing them after.</summary>
    private void WithWeights(DeconvNet model, ulong seed, Action body)
    {
        model.Initialize(fixture.Device, seed);
        try
        {
            body();
        }
        finally
        {
            model.Release();
        }
    }
}
