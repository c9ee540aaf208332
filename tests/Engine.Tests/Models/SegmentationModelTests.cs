using Engine.Data;
using Engine.Graph;
using Engine.Models;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>FCN-32s/16s/8s and SegNet: layouts, counts, crops, bilinear initialisation, learning and gradients.</summary>
[Collection(DeviceCollection.Name)]
public sealed class SegmentationModelTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    private static readonly (int In, int Out)[] Vgg16Convolutions =
    [
        (3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
        (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512),
    ];

    [Theory]
    [InlineData(FcnVariant.Fcn32s)]
    [InlineData(FcnVariant.Fcn16s)]
    [InlineData(FcnVariant.Fcn8s)]
    public void FcnParameterCountsFollowTheCaffeLayout(FcnVariant variant)
    {
        const int classes = 21;
        long Conv(int inC, int outC, int k, bool bias = true) => (long)inC * outC * k * k + (bias ? outC : 0);
        long backbone = Vgg16Convolutions.Sum(c => Conv(c.In, c.Out, 3));
        Assert.Equal(14_714_688, backbone); // torchvision's vgg16().features
        long head = Conv(512, 4096, 7) + Conv(4096, 4096, 1) + Conv(4096, classes, 1);
        long expected = backbone + head + variant switch
        {
            FcnVariant.Fcn32s => Conv(classes, classes, 64, bias: false),
            FcnVariant.Fcn16s => Conv(512, classes, 1) + Conv(classes, classes, 4, false) + Conv(classes, classes, 32, false),
            _ => Conv(512, classes, 1) + Conv(256, classes, 1) + Conv(classes, classes, 4, false) * 2 + Conv(classes, classes, 16, false),
        };
        var model = new Fcn(classes, 3, variant);
        Assert.Equal(expected, model.ParameterCount);
        if (variant == FcnVariant.Fcn32s)
            Assert.Equal(136_152_917, model.ParameterCount); // the figure in the class's documentation
        var names = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape);
        Assert.Equal(new Shape(4096, 512, 7, 7), names["fc6.weight"]);
        Assert.Equal(new Shape(256, 128, 3, 3), names["conv3_1.weight"]);
        Assert.Equal(new Shape(classes, 4096, 1, 1), names["score_fr.weight"]);
    }

    [Theory]
    [InlineData(FcnVariant.Fcn32s, false, new[] { 19 })]
    [InlineData(FcnVariant.Fcn16s, false, new[] { 5, 27 })]
    [InlineData(FcnVariant.Fcn8s, false, new[] { 5, 9, 31 })]
    [InlineData(FcnVariant.Fcn8s, true, new[] { 0, 0, 0 })]
    [InlineData(FcnVariant.Fcn32s, true, new[] { 0 })]
    public void CropOffsetsAreCaffesAndZeroWhenPadded(FcnVariant variant, bool padded, int[] offsets)
    {
        var model = new Fcn(21, 3, variant, width: 2, fcChannels: 4, padded: padded);
        Assert.Equal(offsets, model.CropOffsets.Select(o => o.Offset).ToArray());
    }

    [Fact]
    public void TheReferenceLayoutMapsA500PixelImageToItsOwnSizeThroughCaffesSizes()
    {
        var g = new GraphBuilder(_device, training: false);
        var model = new Fcn(21, 3, FcnVariant.Fcn8s, width: 2, fcChannels: 4);
        var output = model.Call(g.Input("x", 1, 3, 500, 500));
        Assert.Equal(new Shape(1, 21, 500, 500), output.Shape);
        int Side(string layer) => g.Nodes.First(n => n.Name.StartsWith(layer + ".", StringComparison.Ordinal)).Shape[2];
        // voc-fcn8s on a 500 x 500 image: conv1_1 698, pool5 22, fc6 16, upscore2 34, upscore_pool4 70, upscore8 568.
        Assert.Equal([698, 22, 16, 34, 70, 568], new[] { "conv1_1", "pool5", "fc6", "upscore2", "upscore_pool4", "upscore8" }.Select(Side).ToArray());
    }

    [Fact]
    public void APaddedFcnRefusesSidesThatFiveHalvingsDoNotDivide()
    {
        var g = new GraphBuilder(_device, training: false);
        var error = Assert.ThrowsAny<ArgumentException>(() => new Fcn(3, 1, FcnVariant.Fcn8s, width: 2, fcChannels: 4, padded: true).Call(g.Input("x", 1, 1, 64, 84)));
        Assert.Contains("multiples of 32", error.Message);
        Assert.Contains("width 0", Assert.Throws<ArgumentException>(() => new Fcn(3, 1, width: 0)).Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void ABilinearInitialisedTransposedConvolutionIsBilinearUpsampling(int s)
    {
        // ConvTranspose2d(C, C, 2s, stride s, padding s/2) with the bilinear weight against a float64
        // bilinear interpolation (align_corners=False) that reads zeros beyond the border, everywhere,
        // and against the engine's interpolate (which clamps at the border instead) inside it.
        const int c = 3, n = 2, h = 5, w = 7;
        float[] input = Reference.Random(n * c * h * w, s);
        var layer = new ConvTranspose2d(c, c, 2 * s, stride: s, padding: s / 2, bias: false);
        layer.Weight.Init = new Initializer.BilinearUpsampling();
        layer.Initialize(_device, seed: 1);
        try
        {
            var g = new GraphBuilder(_device, training: false);
            var x = g.Input("x", n, c, h, w);
            var deconvolved = layer.Call(x);
            var interpolated = new Upsample(scaleFactor: s, mode: Engine.Ops.Upsampling.InterpolationMode.Bilinear).Call(x);
            using var plan = g.Compile(deconvolved, interpolated);
            plan.Value(x).CopyFrom(input);
            plan.Forward();
            float[] actual = plan.Value(deconvolved).ToArray(), clamped = plan.Value(interpolated).ToArray();
            int oh = h * s, ow = w * s;
            Assert.Equal(new Shape(n, c, oh, ow), deconvolved.Shape);
            static double Source(int o, int s) => (o + 0.5) / s - 0.5;
            for (int p = 0; p < n * c; p++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int x0 = 0; x0 < ow; x0++)
                    {
                        double expected = 0;
                        for (int i = 0; i < h; i++)
                            for (int j = 0; j < w; j++)
                                expected += input[(p * h + i) * w + j] * Math.Max(0, 1 - Math.Abs(Source(y, s) - i)) * Math.Max(0, 1 - Math.Abs(Source(x0, s) - j));
                        int at = (p * oh + y) * ow + x0;
                        Assert.True(Math.Abs(actual[at] - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"s {s} at {p},{y},{x0}: {actual[at]} vs {expected}");
                        bool inside = Source(y, s) >= 0 && Source(y, s) <= h - 1 && Source(x0, s) >= 0 && Source(x0, s) <= w - 1;
                        if (inside)
                            Assert.True(Math.Abs(actual[at] - clamped[at]) <= 1e-5, $"s {s} at {p},{y},{x0}: transposed {actual[at]}, interpolate {clamped[at]}");
                    }
                }
            }
        }
        finally
        {
            layer.Release();
        }
    }

    [Fact]
    public void FcnUpsamplingStartsBilinearTheLastStaysFixedAndTheSkipsStartAtZero()
    {
        var model = new Fcn(11, 1, FcnVariant.Fcn8s, width: 2, fcChannels: 8, padded: true, batchNorm: true);
        model.Initialize(_device, seed: 5);
        try
        {
            var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
            Assert.Equal(Initializer.BilinearUpsampling.Weight(11, 16), parameters["upscore8.weight"].Value.ToArray());
            Assert.Equal(Initializer.BilinearUpsampling.Weight(11, 4), parameters["upscore2.weight"].Value.ToArray());
            Assert.False(parameters["upscore8.weight"].RequiresGrad);
            Assert.True(parameters["upscore2.weight"].RequiresGrad && parameters["upscore_pool4.weight"].RequiresGrad);
            Assert.All(parameters["score_pool3.weight"].Value.ToArray(), v => Assert.Equal(0f, v));
            Assert.All(parameters["score_pool4.bias"].Value.ToArray(), v => Assert.Equal(0f, v));

            // Training moves the learned upsampling and the skips but not the fixed last upsampling.
            var (images, masks) = Composites(4);
            var losses = Overfit(model, images, masks, 4, 15, 1e-2f, initialise: false);
            Assert.Equal(Initializer.BilinearUpsampling.Weight(11, 16), parameters["upscore8.weight"].Value.ToArray());
            Assert.NotEqual(Initializer.BilinearUpsampling.Weight(11, 4), parameters["upscore2.weight"].Value.ToArray());
            Assert.Contains(parameters["score_pool3.weight"].Value.ToArray(), v => v != 0f);
            Assert.True(losses[^1] < losses[0], string.Join(", ", losses));
        }
        finally
        {
            model.Release();
        }
    }

    [Fact]
    public void SegNetCountsFollowVgg16AndItsMirror()
    {
        // The encoder: VGG-16's convolutions without biases, each with batch norm (2 x channels).
        long Conv(int inC, int outC) => (long)inC * outC * 9 + 2 * outC;
        long encoder = Vgg16Convolutions.Select((c, i) => i == 0 ? (1, c.Out) : c).Sum(c => Conv(c.Item1, c.Out));
        // The decoder mirrors it block by block, each block's last convolution narrowing to the next width; decoder1's last is the classifier.
        (int, int)[] decoder = [(512, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 256), (256, 256), (256, 256), (256, 128), (128, 128), (128, 64), (64, 64)];
        long expected = encoder + decoder.Sum(c => Conv(c.Item1, c.Item2)) + 64 * 11 * 9 + 11;
        var model = new SegNet(inChannels: 1, classes: 11);
        Assert.Equal(expected, model.ParameterCount);
        var g = new GraphBuilder(_device, training: false);
        Assert.Equal(new Shape(2, 11, 64, 96), model.Call(g.Input("x", 2, 1, 64, 96)).Shape);
        // Odd sides unpool back to their own size.
        Assert.Equal(new Shape(1, 11, 37, 45), new SegNet(1, 11, width: 2, depth: 3).Call(new GraphBuilder(_device, training: false).Input("x", 1, 1, 37, 45)).Shape);
        Assert.Contains("depth must be between 1 and 5", Assert.Throws<ArgumentException>(() => new SegNet(depth: 6)).Message);
        Assert.Contains("unpool", string.Join(" ", g.Nodes.Select(n => n.Name)));
    }

    [Theory]
    [InlineData("fcn8s")]
    [InlineData("segnet")]
    [InlineData("deeplabv3")]
    public void LightConfigurationsOverfitRealDigitComposites(string name) => Overfits(name);

    // FCN-16s and FCN-32s are FCN-8s with fewer skips and a coarser up-sampling: the same ops at other
    // shapes. Their transposed convolutions (kernel 32 and 64, stride 16 and 32) cost 4 minutes each on
    // the kernel path of the CPU accelerator and on PoCL (zero-dilation multiplies 255 and 1,023 zeros
    // of every 256 and 1,024 terms); the kernels are fcn8s's, proven above on every stage.
    [Theory]
    [InlineData("fcn16s")]
    [InlineData("fcn32s")]
    [DeviceIndependent("the ops of fcn8s at coarser shapes: whether these heads learn is the same on every device that computes fcn8s alike")]
    public void CoarserFcnHeadsOverfitRealDigitComposites(string name) => Overfits(name);

    private void Overfits(string name)
    {
        var model = ModelFactory.Create(name switch
        {
            "segnet" => new ModelOptions(name, 11, 1, BaseWidth: 4, Depth: 3),
            "deeplabv3" => new ModelOptions(name, 11, 1, BaseWidth: 2, HeadChannels: 16, AtrousRate: 1, OutputStride: 8),
            _ => new ModelOptions(name, 11, 1, Padded: true, BaseWidth: 4, BatchNorm: true, HeadChannels: 32),
        });
        var (images, masks) = Composites(4);
        var losses = Overfit(model, images, masks, 4, 40, 1e-2f);
        Assert.True(losses[^1] < 0.3f * losses[0], $"{name}: {string.Join(", ", losses.Select(l => l.ToString("0.000")))}");
    }

    [Theory]
    [InlineData("fcn8s-caffe")]
    [InlineData("fcn8s-padded")]
    [InlineData("segnet")]
    public void TinyNetworksPassAGradientCheck(string which)
    {
        Module model = which switch
        {
            "fcn8s-caffe" => new Fcn(3, 1, FcnVariant.Fcn8s, width: 1, fcChannels: 2),
            "fcn8s-padded" => new Fcn(3, 1, FcnVariant.Fcn8s, width: 2, fcChannels: 4, padded: true),
            _ => new SegNet(1, 3, width: 2, depth: 2),
        };
        model.Initialize(_device, seed: 2);
        // The zero skip scores would have no gradient check of their own: give them values.
        foreach (var (name, p) in model.NamedParameters().Where(p => p.Name.StartsWith("score_pool", StringComparison.Ordinal)))
            p.Value.CopyFrom(Reference.Random((int)p.Shape.Numel, name.Length, -0.3f, 0.3f));
        try
        {
            // FCN's graphs without training: its dropout would draw a new mask on each pass, and central
            // differences need one function; without batch norm nothing else differs. SegNet trains.
            // SegNet at 8 x 8: fewer pooling windows, fewer arg-max switches within a step (see PiecewiseGradCheck).
            int side = which == "segnet" ? 8 : 32;
            var g = new GraphBuilder(_device, training: which == "segnet");
            var x = g.Input("x", new Shape(2, 1, side, side), requiresGrad: true);
            var y = g.IntInput("y", 2, side, side);
            var loss = model.Call(x).CrossEntropy(y);
            using var plan = g.Compile(loss);
            float[] images = Reference.Random(2 * side * side, 7, 0f, 1f);
            plan.Value(x).CopyFrom(images);
            plan.IntValue(y).CopyFrom(images.Select(v => v < 0.33f ? 0 : v < 0.66f ? 1 : 2).ToArray());
            plan.ZeroGrad();
            plan.Forward();
            plan.Backward();
            var parameters = model.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToList();
            var chosen = parameters.Where(p => p.Name is "conv1_1.weight" or "score_pool3.weight" or "score_pool4.weight" or "upscore2.weight" or "fc6.weight"
                or "encoder1.0.weight" or "encoder2.3.weight" or "decoder2.0.weight" or "classifier.weight").ToList();
            Assert.NotEmpty(chosen);
            if (which == "segnet")
                PiecewiseGradCheck.AssertParameterGradients(plan, loss, chosen, 4, which);
            else
                GradCheck.AssertParameterGradients(plan, loss, chosen, 4, which);
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>Digit composites of the real 8x8 digits on 32 x 32 canvases: images and masks (11 classes).</summary>
    private static (float[] Images, int[] Masks) Composites(int count)
    {
        var (images, labels) = Digits.First(200);
        var digits = new ImageDataset(images, 200, 1, 8, 8, 10, labels);
        var composites = DigitComposites.Build(digits, count, 32, 32, seed: 9);
        return (composites.Images, composites.Masks!);
    }

    private List<float> Overfit(Module model, float[] images, int[] masks, int n, int steps, float rate, bool initialise = true)
    {
        if (initialise)
            model.Initialize(_device, seed: 3);
        try
        {
            var g = new GraphBuilder(_device, seed: 4);
            var x = g.Input("x", n, 1, 32, 32);
            var y = g.IntInput("y", n, 32, 32);
            var loss = model.Call(x).CrossEntropy(y);
            using var plan = g.Compile(loss);
            plan.Value(x).CopyFrom(images);
            plan.IntValue(y).CopyFrom(masks);
            return AdamSteps.Losses(plan, loss, model, steps, rate);
        }
        finally
        {
            if (initialise)
                model.Release();
        }
    }
}
