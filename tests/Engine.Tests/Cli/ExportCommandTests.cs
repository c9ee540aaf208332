using System.Text.RegularExpressions;
using Engine.Checkpoints;
using Engine.Cli.Commands;
using Engine.Cli.Training;
using Engine.Training;
using Engine.Graph;
using Engine.Models;
using Engine.Tensors;
using Engine.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace Engine.Tests.Cli;

/// <summary><c>export</c> writes a trained run as ONNX that ONNX Runtime runs to the engine's outputs.</summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("the export writes the weights and graph it is given; ONNX agreement is checked in process on every stage")]
public sealed class ExportCommandTests(DeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-export-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("resnet")]
    [InlineData("unet")]
    [InlineData("vae")]
    public void ExportWritesWhatOnnxRuntimeRunsAsTheEngineDoes(string kind)
    {
        var settings = new TrainSettings
        {
            Model = kind, Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, kind), Epochs = 1, Width = kind == "vae" ? null : 4, Plain = true,
            Limit = kind == "unet" ? 4 : 64, BatchSize = kind == "unet" ? 2 : 16,
        };
        var errors = new StringWriter();
        Assert.True(TrainCommand.Run(settings, TextWriter.Null, errors) == 0, errors.ToString());
        var log = new StringWriter();
        Assert.True(ExportCommand.Run(settings.Output!, null, fixture.Spec.ToString(), log, errors) == 0, errors.ToString());
        string onnx = Path.Combine(settings.Output!, "model.onnx");
        var printed = Regex.Match(log.ToString(), @"as ONNX opset 17: (.+) \(([\d,]+) bytes\)");
        Assert.True(printed.Success, log.ToString());
        Assert.Equal((onnx, new FileInfo(onnx).Length), (printed.Groups[1].Value, long.Parse(printed.Groups[2].Value.Replace(",", ""))));

        // The checkpoint's model in evaluation mode against ONNX Runtime on the same two images (or codes).
        var info = RunFolder.ReadInfo(Path.Combine(settings.Output!, RunFolder.LastFile));
        var model = ModelFactory.Create(info.Model!);
        model.Initialize(fixture.Device);
        try
        {
            StateDict.Load(model, Path.Combine(settings.Output!, RunFolder.LastFile));
            int[] shape = model is Vae vae ? [2, vae.Latent] : [2, info.Model!.InChannels, info.Model!.ImageSize, info.Model!.ImageSize];
            float[] x = Reference.Random(shape.Aggregate(1, (a, b) => a * b), 3, 0f, 1f);
            var g = new GraphBuilder(fixture.Device, training: false);
            var input = g.Input("x", shape);
            var output = model is Vae decoder ? decoder.Decode(input).Sigmoid() : model.Call(input);
            using var plan = g.CompileInference(output);
            plan.Value(input).CopyFrom(x);
            plan.Forward();
            float[] expected = plan.Value(output).ToArray();
            using var session = new InferenceSession(onnx);
            var (dims, actual) = OnnxRuntimeRun.Run(session, x, shape);
            Assert.Equal(output.Shape.ToArray(), dims);
            OnnxRuntimeRun.AssertAlike(expected, actual, $"{kind}: ONNX Runtime against the engine");
        }
        finally
        {
            model.Release();
        }

        // Onto a directory: refused before anything is loaded.
        string directory = Directory.CreateDirectory(Path.Combine(_folder, "dir.onnx")).FullName;
        var refused = new StringWriter();
        Assert.Equal(1, ExportCommand.Run(settings.Output!, directory, fixture.Spec.ToString(), TextWriter.Null, refused));
        Assert.Contains("is a directory, not a regular file", refused.ToString());
    }
}
