using Engine.Checkpoints;
using Engine.Cli.Commands;
using Engine.Graph;
using Engine.IO;
using Engine.Models;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Cli;

[Collection(DeviceCollection.Name)]
public sealed class CliTests(DeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void SummaryEndsWithTheTotalAndRejectsUnknownModels()
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        Assert.Equal(0, SummaryCommand.Run(new ModelOptions("resnet50"), null, output, errors));
        Assert.EndsWith("Total parameters: 25,557,032", output.ToString().TrimEnd());
        // DeconvNet's fc6 is built for the side summarised (224 by default: a 7 x 7 kernel).
        var deconv = new StringWriter();
        Assert.Equal(0, SummaryCommand.Run(new ModelOptions("deconvnet", 21), null, deconv, errors));
        Assert.EndsWith("Total parameters: 251,805,653", deconv.ToString().TrimEnd());
        Assert.Equal(1, SummaryCommand.Run(new ModelOptions("vgg16"), null, output, errors));
        Assert.Contains("Unknown model 'vgg16'. Known models: resnet18, resnet34, resnet50, sppnet, unet, fcn32s, fcn16s, fcn8s, deeplab, pspnet, segnet, deconvnet, vae, ae-plain, ae-denoising, ae-sparse, ae-contractive.", errors.ToString());
    }

    [Fact]
    public void PredictReproducesTheLogitsOfATorchvisionNamedResNet()
    {
        // A torchvision-named ResNet-18 state dict made here, as PyTorch would save it.
        var options = new ModelOptions("resnet18", Classes: 10, InChannels: 1, SmallStem: true);
        var model = ModelFactory.Create(options);
        model.Initialize(fixture.Device, seed: 21);
        string weights = Path.Combine(_folder, "resnet18.safetensors");
        StateDict.Save(model, weights, new Dictionary<string, string> { ["format"] = "pt" });
        float[] images = Digits.First(3).Images;
        string input = Path.Combine(_folder, "x.npy"), output = Path.Combine(_folder, "y.npy");
        NpyFile.Write(input, images, 3, 1, 8, 8);

        var g = new GraphBuilder(fixture.Device, training: false);
        var x = g.Input("x", 3, 1, 8, 8);
        var logits = model.Call(x);
        using var plan = g.CompileInference(logits);
        plan.Value(x).CopyFrom(images);
        plan.Forward();
        float[] expected = plan.Value(logits).ToArray();
        model.Release();

        var log = new StringWriter();
        var errors = new StringWriter();
        Assert.Equal(0, PredictCommand.Run(options, weights, input, output, fixture.Spec.ToString(), log, errors));
        var predicted = NpyFile.Read(output);
        Assert.Equal([3, 10], predicted.Shape);
        Reference.AssertExactly(expected, predicted.Data, "predict logits");

        Assert.Equal(1, PredictCommand.Run(options with { Classes = 5 }, weights, input, output, fixture.Spec.ToString(), log, errors));
        Assert.Contains("fc.weight has shape [10, 512] in the file but [5, 512] in the model", errors.ToString());
        Assert.Equal(1, PredictCommand.Run(options, weights, Path.Combine(_folder, "absent.npy"), output, fixture.Spec.ToString(), log, errors));
        Assert.Contains("absent.npy' does not exist", errors.ToString());
        Assert.Equal(1, PredictCommand.Run(options with { InChannels = 3 }, weights, input, output, fixture.Spec.ToString(), log, errors));
        Assert.Contains("--input has 1 channels but the model takes --in-channels 3", errors.ToString());
    }
}
