using Engine.Graph;
using Engine.Models;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Onnx;
using Engine.Ops.Activation;
using Engine.Ops.Upsampling;
using Engine.Tensors;
using Engine.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace Engine.Tests.Onnx;

/// <summary>
/// Exported models run in ONNX Runtime (the reference) and give the engine's evaluation outputs
/// to a relative 1e-4, at batch sizes 1 and 3 from one file (the batch is symbolic).
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class OnnxExportTests(DeviceFixture fixture)
{
    [Fact]
    public void ResNetsRunAlikeInOnnxRuntime()
    {
        Check(ResNet.ResNet18(classes: 10, inChannels: 3, smallStem: true, width: 4), [3, 16, 16]);
        Check(ResNet.ResNet18(classes: 5, inChannels: 3, width: 4), [3, 32, 32]);       // 7x7 stride-2 stem and max pool
        Check(ResNet.ResNet50(classes: 4, inChannels: 1, smallStem: true, width: 4), [1, 16, 16]);
    }

    [Theory]
    [InlineData(UNetUpsampling.TransposedConvolution, true)]
    [InlineData(UNetUpsampling.Bilinear, true)]
    [InlineData(UNetUpsampling.MaxUnpool, true)]
    [InlineData(UNetUpsampling.Nearest, true)]
    [InlineData(UNetUpsampling.BedOfNails, true)]
    [InlineData(UNetUpsampling.TransposedConvolution, false)] // the paper's valid convolutions: skips centre-cropped
    public void UNetsRunAlikeInOnnxRuntime(UNetUpsampling upsampling, bool padded)
    {
        var model = new UNet(1, 3, baseWidth: 4, depth: 2, padded: padded, batchNorm: padded, upsampling: upsampling);
        Check(model, padded ? [1, 16, 16] : [1, 44, 44]);
    }

    [Fact]
    public void DeepLabV3RunsAlikeInOnnxRuntime() =>
        Check(new DeepLabV3(classes: 3, width: 4, outputStride: 8, headChannels: 8, rates: [2, 3, 4]), [3, 32, 32]);

    [Theory]
    [InlineData(FcnVariant.Fcn8s, false)] // Caffe's layout: 100 pixels of padding, ceil-mode pooling, skips cropped at 5 and 9, the output at 31
    [InlineData(FcnVariant.Fcn16s, false)]
    [InlineData(FcnVariant.Fcn32s, true)]
    [InlineData(FcnVariant.Fcn8s, true)]
    public void FcnsRunAlikeInOnnxRuntime(FcnVariant variant, bool padded) =>
        Check(new Fcn(3, 1, variant, width: 2, fcChannels: 8, padded: padded, batchNorm: padded), padded ? [1, 32, 64] : [1, 20, 28]);

    [Fact]
    public void SegNetRunsAlikeInOnnxRuntime() =>
        Check(new SegNet(1, 3, width: 2, depth: 3), [1, 24, 40]);

    [Fact]
    public void DeconvNetRunsAlikeInOnnxRuntime() =>
        Check(new DeconvNet(1, 3, width: 2, depth: 3, fcChannels: 8, imageSize: (24, 40)), [1, 24, 40]); // fc6 a 3 x 5 kernel, fc6_deconv its transpose

    [Fact]
    public void TheVaeDecoderRunsAlikeInOnnxRuntime()
    {
        var vae = new Vae(latent: 2, size: 28);
        Check(vae, [2], z => vae.Decode(z).Sigmoid()); // codes [N, 2] to pixels [N, 1, 28, 28]
    }

    [Fact]
    public void TheOtherOpsRunAlikeInOnnxRuntime()
    {
        // Leaky ReLU, average pooling, per-axis bilinear and nearest resampling, dropout (off), a weighted add, softmax.
        var model = new Sequential(
            new Conv2d(2, 4, 3, padding: 1), new Activation(ActivationKind.LeakyRelu, 0.2f), new AvgPool2d(2, padding: 1, countIncludePad: false),
            new Upsample(scaleFactor: (2, 1.5), mode: InterpolationMode.Bilinear), new Upsample(size: (5, 7)), new Activation(ActivationKind.Tanh),
            new Dropout(0.3f), new Flatten(), new Linear(4 * 5 * 7, 3));
        Check(model, [2, 9, 8], x => NodeFunctions.WeightedSum(model.Call(x).Softmax(), 0.5f, model.Call(x).Sigmoid(), 2f));
    }

    [Fact]
    public void AdaptivePoolingRunsAlikeInOnnxRuntimeWhereItsWindowsAreUniform()
    {
        // 8x12 -> 4x6 (AveragePool 2x2), -> 2x3 (MaxPool 2x2), and a pyramid {1, 2}: GlobalMaxPool and MaxPool 4x6.
        var model = new Sequential(
            new Conv2d(2, 4, 3, padding: 1), new AdaptiveAvgPool2d((4, 6)), new AdaptiveMaxPool2d((2, 3)), new Flatten(), new Linear(4 * 2 * 3, 3));
        Check(model, [2, 8, 12]);
        var pyramid = new Sequential(new Conv2d(2, 3, 3, padding: 1), new SpatialPyramidPooling([1, 2]), new Linear(3 * 5, 2));
        Check(pyramid, [2, 8, 12]);
        var global = new Sequential(new Conv2d(2, 3, 3), new AdaptiveAvgPool2d(1), new Flatten());
        Check(global, [2, 7, 5]);
    }

    [Fact]
    public void AdaptivePoolingWithUnevenWindowsIsRefusedByName()
    {
        var error = Assert.Throws<NotSupportedException>(() =>
            OnnxExport.ExportBytes(fixture.Device, new Shape(1, 2, 7, 8), x => new AdaptiveAvgPool2d((3, 4)).Call(x)));
        Assert.StartsWith("ONNX export: adaptive_avg_pool2d", error.Message);
        Assert.Contains("pools 7x8 to 3x4, whose adaptive windows are uneven", error.Message);
        error = Assert.Throws<NotSupportedException>(() =>
            OnnxExport.ExportBytes(fixture.Device, new Shape(1, 2, 3, 3), x => new AdaptiveMaxPool2d(5).Call(x)));
        Assert.Contains("pools 3x3 to 5x5", error.Message);
    }

    [Fact]
    public void AGraphWithAnOpOnnxDoesNotCoverIsRefusedByName()
    {
        var vae = new Vae(latent: 2, size: 28);
        vae.Initialize(fixture.Device, seed: 1);
        try
        {
            var error = Assert.Throws<NotSupportedException>(() => OnnxExport.ExportBytes(fixture.Device, new Shape(1, 1, 28, 28), x => vae.Build(x).Loss));
            Assert.StartsWith("ONNX export: ", error.Message);
            Assert.Contains("which the exporter does not write", error.Message);
        }
        finally
        {
            vae.Release();
        }
    }

    private void Check(Module model, int[] sample, Func<Node, Node>? forward = null)
    {
        forward ??= x => model.Call(x);
        model.Initialize(fixture.Device, seed: 7);
        try
        {
            Randomise(model);
            byte[] onnx = OnnxExport.ExportBytes(fixture.Device, new Shape([1, .. sample]), forward);
            using var session = new InferenceSession(onnx);
            foreach (int batch in new[] { 1, 3 })
            {
                int[] shape = [batch, .. sample];
                float[] x = Reference.Random(shape.Aggregate(1, (a, b) => a * b), 11 + batch, -1f, 1f);
                var g = new GraphBuilder(fixture.Device, training: false);
                var input = g.Input("x", shape);
                var output = forward(input);
                using var plan = g.CompileInference(output);
                plan.Value(input).CopyFrom(x);
                plan.Forward();
                float[] expected = plan.Value(output).ToArray();
                var (dims, actual) = OnnxRuntimeRun.Run(session, x, shape);
                Assert.Equal(output.Shape.ToArray(), dims);
                OnnxRuntimeRun.AssertAlike(expected, actual, $"{model.GetType().Name} at batch {batch}");
            }
        }
        finally
        {
            model.Release();
        }
    }

    // Batch norm's running statistics and affine parameters away from 1 and 0, so that evaluation mode is checked.
    private static void Randomise(Module model)
    {
        int k = 0;
        foreach (var (name, state) in model.NamedState())
        {
            if (!name.Contains("bn", StringComparison.Ordinal) && !(model is UNet && state.Shape.Rank == 1))
                continue;
            float[] v = Reference.Random((int)state.Shape.Numel, 100 + k++, 0.5f, 1.5f);
            state.Value.CopyFrom(name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal) ? v.Select(a => a - 1f).ToArray() : v);
        }
    }
}
