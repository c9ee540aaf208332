using Engine.Checkpoints;
using Engine.Graph;
using Engine.Models;
using Engine.Modules;
using Engine.Optim;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

[Collection(DeviceCollection.Name)]
public sealed class ModelTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Fact]
    public void ParameterCountsMatchTorchvisionAndThePaper()
    {
        Assert.Equal(11_689_512, ResNet.ResNet18().ParameterCount);
        Assert.Equal(21_797_672, ResNet.ResNet34().ParameterCount);
        Assert.Equal(25_557_032, ResNet.ResNet50().ParameterCount);
        Assert.Equal(31_030_658, new UNet().ParameterCount);
    }

    [Fact]
    public void UNetFeatureMapsFollowThePaper()
    {
        var g = new GraphBuilder(_device, training: false);
        var output = new UNet().Call(g.Input("x", 1, 1, 572, 572));
        Assert.Equal(new Shape(1, 2, 388, 388), output.Shape);
        int SizeAfter(string path) => g.Nodes.Single(n => n.Name == path + ".3.relu").Shape[2];
        Assert.Equal([568, 280, 136, 64, 28], new[] { "inc", "down1", "down2", "down3", "down4" }.Select(SizeAfter).ToArray());
        Assert.Equal([52, 100, 196, 388], new[] { "dec4", "dec3", "dec2", "dec1" }.Select(SizeAfter).ToArray());
    }

    [Fact]
    public void ResNetUsesTorchvisionNamesAndShapes()
    {
        var names = ResNet.ResNet18().NamedState().ToDictionary(s => s.Name, s => s.State.Shape);
        Assert.Equal(new Shape(64, 3, 7, 7), names["conv1.weight"]);
        Assert.Equal(new Shape(64), names["bn1.running_mean"]);
        Assert.Equal(new Shape(64, 64, 3, 3), names["layer1.0.conv1.weight"]);
        Assert.Equal(new Shape(128, 64, 1, 1), names["layer2.0.downsample.0.weight"]);
        Assert.Equal(new Shape(128), names["layer2.0.downsample.1.running_var"]);
        Assert.Equal(new Shape(1000, 512), names["fc.weight"]);
        Assert.Contains("layer4.1.bn2.num_batches_tracked", ResNet.ResNet18().NamedCounters().Select(c => c.Name));
        var resnet50 = ResNet.ResNet50().NamedState().ToDictionary(s => s.Name, s => s.State.Shape);
        Assert.Equal(new Shape(128, 128, 3, 3), resnet50["layer2.0.conv2.weight"]); // the stride sits on the 3x3
        Assert.Equal(new Shape(2048, 1024, 1, 1), resnet50["layer4.0.downsample.0.weight"]);
        var g = new GraphBuilder(_device, training: false);
        Assert.Equal(new Shape(2, 1000), ResNet.ResNet50().Call(g.Input("x", 2, 3, 224, 224)).Shape);
    }

    [Fact]
    public void AResNetStateDictLoadsAndGivesTheSameLogits()
    {
        var folder = Directory.CreateTempSubdirectory("engine-resnet-").FullName;
        try
        {
            var source = ResNet.ResNet18(classes: 10, inChannels: 1, smallStem: true);
            source.Initialize(_device, seed: 7);
            var path = Path.Combine(folder, "resnet18.safetensors");
            StateDict.Save(source, path);
            var target = ResNet.ResNet18(classes: 10, inChannels: 1, smallStem: true);
            target.Initialize(_device, seed: 8);
            StateDict.Load(target, path);
            float[] images = Digits.First(4).Images;
            Assert.Equal(Logits(source, images), Logits(target, images));

            var other = ResNet.ResNet18(classes: 5, inChannels: 1, smallStem: true);
            other.Initialize(_device);
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(other, path));
            Assert.Contains("fc.weight has shape [10, 512] in the file but [5, 512] in the model", error.Message);
            var tensors = SafeTensorsFile.Read(path).Tensors.Where(t => t.Key != "layer3.1.bn1.running_var").ToDictionary();
            Assert.Contains("missing layer3.1.bn1.running_var", Assert.Throws<InvalidDataException>(() => StateDict.Load(target, tensors)).Message);
            source.Release();
            target.Release();
            other.Release();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private float[] Logits(Module model, float[] images)
    {
        var g = new GraphBuilder(_device, training: false);
        var x = g.Input("x", images.Length / 64, 1, 8, 8);
        var logits = model.Call(x);
        using var plan = g.CompileInference(logits);
        plan.Value(x).CopyFrom(images);
        plan.Forward();
        return plan.Value(logits).ToArray();
    }

    /// <summary>Trains a model on a fixed real batch and returns the losses.</summary>
    private List<float> Overfit(Module model, Func<GraphBuilder, (Node Loss, Action<CompiledGraph> Feed)> build, int steps, float rate)
    {
        model.Initialize(_device, seed: 3);
        var g = new GraphBuilder(_device, seed: 4);
        var (loss, feed) = build(g);
        using var plan = g.Compile(loss);
        feed(plan);
        var losses = AdamSteps.Losses(plan, loss, model, steps, rate);
        model.Release();
        return losses;
    }

    [Fact]
    public void ANaNPixelMakesItsImagesLogitsNaNAndNoOtherImages()
    {
        // As in PyTorch: NaN goes through convolution, BatchNorm (evaluation), ReLU, pooling and the
        // linear layer; it is not turned into plausible logits. Other images of the batch are untouched.
        var model = ModelFactory.Create(new ModelOptions("resnet18", 10, 1, SmallStem: true, BaseWidth: 4));
        model.Initialize(_device, 5);
        try
        {
            float[] images = Digits.First(3).Images;
            images[64 + 20] = float.NaN; // a pixel of image 1
            var g = new GraphBuilder(_device, training: false);
            var x = g.Input("x", 3, 1, 8, 8);
            var logits = model.Call(x);
            using var plan = g.CompileInference(logits);
            plan.Value(x).CopyFrom(images);
            plan.Forward();
            float[] values = plan.Value(logits).ToArray();
            Assert.All(values[..10], v => Assert.True(float.IsFinite(v)));
            Assert.All(values[10..20], v => Assert.True(float.IsNaN(v)));
            Assert.All(values[20..], v => Assert.True(float.IsFinite(v)));
        }
        finally
        {
            model.Release();
        }
    }

    [Fact]
    public void ResNetOverfitsATinyRealBatch()
    {
        var (images, labels) = Digits.First(8);
        var model = ResNet.ResNet18(classes: 10, inChannels: 1, smallStem: true);
        var losses = Overfit(model, g =>
        {
            var x = g.Input("x", 8, 1, 8, 8);
            var y = g.IntInput("y", 8);
            return (model.Call(x).CrossEntropy(y), plan => { plan.Value(x).CopyFrom(images); plan.IntValue(y).CopyFrom(labels); });
        }, steps: 25, rate: 1e-3f);
        Assert.True(losses[1] < losses[0], $"first step should lower the loss: {losses[0]} -> {losses[1]}");
        Assert.True(losses[^1] < 0.05f * losses[0], $"25 steps should overfit 8 digits: {string.Join(", ", losses.Select(l => l.ToString("0.000")))}");
    }

    [Theory]
    [InlineData(UNetUpsampling.TransposedConvolution)]
    [InlineData(UNetUpsampling.Bilinear)]
    [InlineData(UNetUpsampling.MaxUnpool)]
    [InlineData(UNetUpsampling.Nearest)]
    [InlineData(UNetUpsampling.BedOfNails)]
    public void UNetVariantsOverfitATinyRealSegmentation(UNetUpsampling upsampling)
    {
        var (images, _) = Digits.First(4);
        int[] mask = images.Select(v => v > 0.5f ? 1 : 0).ToArray(); // ink versus background, per pixel
        var model = new UNet(inChannels: 1, classes: 2, baseWidth: 8, depth: 2, padded: true, batchNorm: true, upsampling: upsampling);
        var losses = Overfit(model, g =>
        {
            var x = g.Input("x", 4, 1, 8, 8);
            var y = g.IntInput("y", 4, 8, 8);
            return (model.Call(x).CrossEntropy(y), plan => { plan.Value(x).CopyFrom(images); plan.IntValue(y).CopyFrom(mask); });
        }, steps: 40, rate: 1e-2f);
        Assert.True(losses[1] < losses[0], $"first step should lower the loss: {losses[0]} -> {losses[1]}");
        Assert.True(losses[^1] < 0.1f, $"{upsampling}: {string.Join(", ", losses.Select(l => l.ToString("0.000")))}");
    }

    [Fact]
    public void VaeLossFallsOnRealImagesAndItsSamplesArePixels()
    {
        var (images, _) = Digits.First(16);
        var model = new Vae(latent: 4, size: 8);
        VaeGraph? graph = null;
        var losses = Overfit(model, g =>
        {
            var x = g.Input("x", 16, 1, 8, 8);
            graph = model.Build(x);
            return (graph.Loss, plan => plan.Value(x).CopyFrom(images));
        }, steps: 40, rate: 1e-2f);
        // Grey pixels bound the Bernoulli reconstruction term from below by their entropy: measure the
        // fall against that floor, not against zero.
        double floor = images.Sum(t => t is <= 0f or >= 1f ? 0 : -(t * Math.Log(t) + (1 - t) * Math.Log(1 - t))) / 16;
        Assert.True(losses[^1] - floor < 0.5 * (losses[0] - floor),
            $"negative ELBO should close half its gap to the entropy floor {floor:0.0}: {string.Join(", ", losses.Select(l => l.ToString("0.0")))}");

        model.Initialize(_device, seed: 5);
        var sampler = new GraphBuilder(_device, training: false);
        var z = sampler.Input("z", 6, 4);
        var pixels = model.Decode(z).Sigmoid();
        using var plan = sampler.CompileInference(pixels);
        new Engine.Ops.Random.RandomGenerator(9).Normal(plan.Value(z));
        plan.Forward();
        Assert.Equal(new Shape(6, 1, 8, 8), pixels.Shape);
        Assert.All(plan.Value(pixels).ToArray(), v => Assert.InRange(v, 0f, 1f));

        // Interpolating between two codes: endpoints exact, midpoint halfway; decoded like any batch.
        float[] codes = model.InterpolateCodes([1f, 0f, -2f, 4f], [3f, 2f, 0f, 0f], 6);
        Assert.Equal([1f, 0f, -2f, 4f], codes[..4]);
        Assert.Equal([3f, 2f, 0f, 0f], codes[20..]);
        Assert.Equal(2f, (codes[8] + codes[12]) / 2, 5);
        plan.Value(z).CopyFrom(codes);
        plan.Forward();
        Assert.All(plan.Value(pixels).ToArray(), v => Assert.InRange(v, 0f, 1f));
        Assert.Contains("codes must have 4 values", Assert.Throws<ArgumentException>(() => model.InterpolateCodes([1f], [2f], 3)).Message);
        model.Release();
    }

    [Fact]
    public void SummaryListsLayersAndEndsWithTheTotal()
    {
        string table = ModelSummary.Create(ResNet.ResNet18(), _device, new Shape(1, 3, 224, 224));
        Assert.EndsWith("Total parameters: 11,689,512", table);
        Assert.Contains("layer4.1.bn2.batch_norm", table);
        Assert.Contains("[1, 512, 7, 7]", table);
        Assert.Contains("Output: [1, 1000]", table);
    }

    [Theory]
    [InlineData("resnet")]
    [InlineData("unet")]
    [InlineData("vae")]
    public void TinyModelsPassAGradientCheck(string which)
    {
        // Batch 4 at 16x16: ResNet's last stage keeps 4 x 2 x 2 values per BatchNorm channel (with
        // fewer, batch statistics of two values make the normalised output a step function).
        float[] images = Reference.Random(4 * 16 * 16, 3, 0f, 1f);
        int[] labels = [1, 7, 3, 0];
        Module model = which switch
        {
            // The layers' default init: torchvision's fan-out Kaiming stem is three times smaller, and
            // the batch norm after it divides by that, so a step of 1e-3 moves many of the stem's
            // ReLUs across their kinks and the differences of a few weights stray by 5-10% (measured;
            // they agree again at 2.5e-4 for most weights). What is checked is the backward pass.
            "resnet" => ResNet.ResNet18(classes: 10, inChannels: 1, smallStem: true).WithLayerDefaultInit(),
            "unet" => new UNet(1, 2, baseWidth: 4, depth: 1, padded: true),
            _ => new Vae(latent: 2, size: 16),
        };
        model.Initialize(_device, seed: 2);
        var g = new GraphBuilder(_device, training: which != "vae"); // the VAE without noise: eps = 0
        var x = g.Input("x", new Shape(4, 1, 16, 16), requiresGrad: which != "vae");
        Node loss;
        Node? y = null;
        if (which == "resnet")
        {
            y = g.IntInput("y", 4);
            loss = model.Call(x).CrossEntropy(y);
        }
        else if (which == "unet")
        {
            y = g.IntInput("y", 4, 16, 16);
            loss = model.Call(x).CrossEntropy(y);
        }
        else
        {
            loss = ((Vae)model).Build(x).Loss;
        }
        using var plan = g.Compile(loss);
        plan.Value(x).CopyFrom(images);
        if (y is not null)
            plan.IntValue(y).CopyFrom(which == "resnet" ? labels : images.Select(v => v > 0.5f ? 1 : 0).ToArray());
        plan.ZeroGrad();
        plan.Forward();
        plan.Backward();
        var parameters = model.NamedParameters().ToList();
        // The largest gradients: float32 differences of a loss near 40 (the VAE's per-image sum)
        // carry about 4e-3 of rounding, which would swamp small ones.
        GradCheck.AssertParameterGradients(plan, loss, [parameters[0], parameters[parameters.Count / 2], parameters[^1]], 4, which);
        model.Release();
    }
}
