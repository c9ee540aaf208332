using Engine.Graph;
using Engine.Models;
using Engine.Modules;
using Engine.Ops.Random;
using Engine.Optim;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>
/// The autoencoder family: parameter counts from the layers' shapes, output shapes, central
/// differences of every kind's loss on a tiny instance, each kind overfitting a tiny real batch
/// (the digits), and the denoising kind's corruption only in training graphs.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class AutoencoderTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Fact]
    public void ParameterCountsFollowTheLayers()
    {
        // Convolutional kinds at 28x28, code 32: conv 1->32 (4x4) and 32->64, linear 64*7*7 -> 32 and back, transposed 64->32 and 32->1.
        long conv = (1 * 32 * 16 + 32) + (32 * 64 * 16 + 64) + (3136 * 32 + 32) + (32 * 3136 + 3136) + (64 * 32 * 16 + 32) + (32 * 1 * 16 + 1);
        Assert.Equal(270_561, conv);
        foreach (var kind in new[] { AutoencoderKind.Plain, AutoencoderKind.Denoising, AutoencoderKind.Sparse })
            Assert.Equal(conv, new Autoencoder(kind, code: 32).ParameterCount);
        // Contractive: Rifai et al.'s single layer each way, 784 -> 32 -> 784.
        Assert.Equal(784 * 32 + 32 + 32 * 784 + 784, new Autoencoder(AutoencoderKind.Contractive, code: 32).ParameterCount);
        Assert.Equal(50_992, ModelFactory.Create(new ModelOptions("ae-contractive", InChannels: 1, Latent: 32, ImageSize: 28)).ParameterCount);
        Assert.Contains("size 30 a positive multiple of 4", Assert.Throws<ArgumentException>(() => new Autoencoder(size: 30)).Message);
        Assert.Contains("code 0", Assert.Throws<ArgumentException>(() => new Autoencoder(code: 0)).Message);
    }

    [Theory]
    [InlineData(AutoencoderKind.Plain)]
    [InlineData(AutoencoderKind.Denoising)]
    [InlineData(AutoencoderKind.Sparse)]
    [InlineData(AutoencoderKind.Contractive)]
    public void EachKindOverfitsATinyRealBatchWithItsPenaltyInTheLoss(AutoencoderKind kind)
    {
        var (images, _) = Digits.First(16);
        var model = new Autoencoder(kind, code: 8, size: 8);
        model.Initialize(_device, seed: 3);
        try
        {
            var g = new GraphBuilder(_device, seed: 4);
            var x = g.Input("x", 16, 1, 8, 8);
            var graph = model.Build(x, noiseLevel: 0.2f);
            Assert.Equal(new Shape(16, 8), graph.Code.Shape);
            Assert.Equal(new Shape(16, 1, 8, 8), graph.Reconstruction.Shape);
            Assert.Equal(kind is AutoencoderKind.Sparse or AutoencoderKind.Contractive, graph.Penalty is not null);
            using var plan = g.Compile(graph.Loss, [graph.ReconstructionError, graph.Code, .. graph.Penalty is null ? Array.Empty<Node>() : [graph.Penalty]]);
            using var adam = new Adam(model.NamedParameters().Select(p => p.Parameter), 1e-2f);
            plan.Value(x).CopyFrom(images);
            var errors = new List<float>();
            for (int step = 0; step < 150; step++)
            {
                adam.ZeroGrad();
                plan.Forward();
                plan.Backward();
                adam.Step();
                float error = plan.Value(graph.ReconstructionError).ToArray()[0];
                float loss = plan.Value(graph.Loss).ToArray()[0];
                float penalty = graph.Penalty is null ? 0f : plan.Value(graph.Penalty).ToArray()[0];
                Assert.Equal(error + model.DefaultPenaltyWeight * penalty, loss, 3); // loss = error + λ penalty
                errors.Add(error);
            }
            // The digits' pixels in [0, 1]: the squared error per image starts near 64 * 0.1 and must fall by two thirds.
            Assert.True(errors[^1] < errors[0] / 3, $"{kind}: {string.Join(", ", errors.Where((_, i) => i % 15 == 0).Select(e => e.ToString("0.00")))}");
            if (kind == AutoencoderKind.Sparse)
                Assert.All(plan.Value(graph.Code).ToArray(), v => Assert.True(v >= 0f)); // a ReLU code
            if (kind == AutoencoderKind.Contractive)
                Assert.All(plan.Value(graph.Code).ToArray(), v => Assert.InRange(v, 0f, 1f)); // a sigmoid code
        }
        finally
        {
            model.Release();
        }
    }

    [Fact]
    public void TheDenoisingKindCorruptsOnlyInTrainingGraphsAndReconstructsTheCleanImage()
    {
        var (images, _) = Digits.First(4);
        var model = new Autoencoder(AutoencoderKind.Denoising, code: 4, size: 8);
        model.Initialize(_device, seed: 3);
        try
        {
            float[] Seen(bool training, NoiseKind noise)
            {
                var g = new GraphBuilder(_device, training: training, seed: 5);
                var x = g.Input("x", 4, 1, 8, 8);
                var graph = model.Build(x, noise: noise, noiseLevel: 0.5f);
                using var plan = g.CompileInference(graph.Input, graph.ReconstructionError);
                plan.Value(x).CopyFrom(images);
                plan.Forward();
                return plan.Value(graph.Input).ToArray();
            }
            Assert.Equal(images, Seen(training: false, NoiseKind.Gaussian));
            float[] masked = Seen(training: true, NoiseKind.Masking);
            Assert.All(masked.Zip(images), p => Assert.True(p.First == 0f || p.First == p.Second));
            Assert.InRange(masked.Count(v => v == 0f) - images.Count(v => v == 0f), 50, 200); // about half of the 256 values masked
            Assert.NotEqual(images, Seen(training: true, NoiseKind.Gaussian));
        }
        finally
        {
            model.Release();
        }
    }

    [Theory]
    [InlineData(AutoencoderKind.Plain)]
    [InlineData(AutoencoderKind.Sparse)]
    [InlineData(AutoencoderKind.Contractive)]
    public void TinyAutoencodersPassAGradientCheck(AutoencoderKind kind)
    {
        float[] images = Reference.Random(4 * 8 * 8, 3, 0f, 1f);
        var model = new Autoencoder(kind, code: 3, size: 8);
        model.Initialize(_device, seed: 2);
        try
        {
            var g = new GraphBuilder(_device);
            var x = g.Input("x", new Shape(4, 1, 8, 8), requiresGrad: false);
            var loss = model.Build(x, penaltyWeight: 0.5f).Loss;
            using var plan = g.Compile(loss);
            plan.Value(x).CopyFrom(images);
            plan.ZeroGrad();
            plan.Forward();
            plan.Backward();
            GradCheck.AssertParameterGradients(plan, loss, model.NamedParameters(), 3, kind.ToString());
        }
        finally
        {
            model.Release();
        }
    }
}
