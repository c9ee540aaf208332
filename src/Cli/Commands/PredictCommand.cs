using System.CommandLine;
using Engine.Checkpoints;
using Engine.Graph;
using Engine.IO;
using Engine.Models;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>predict --model resnet18 --weights W.safetensors --input X.npy --output Y.npy</c>: runs the
/// model in evaluation mode on a float32 NCHW batch and writes its outputs (logits; the VAE's
/// reconstructed pixels) as .npy. Weights may come from PyTorch (torchvision names, int64
/// num_batches_tracked entries).
/// </summary>
internal static class PredictCommand
{
    internal static Command Create()
    {
        var model = new Option<string>("--model") { Description = $"One of {string.Join(", ", ModelFactory.Names)}.", Required = true };
        var weights = new Option<string>("--weights") { Description = "A safetensors state dict.", Required = true };
        var input = new Option<string>("--input") { Description = "A float32 [N, C, H, W] .npy file.", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write the outputs (.npy).", Required = true };
        var device = CommonOptions.Device();
        var options = new ModelOptionSet();
        var command = new Command("predict", "Run a model on a .npy batch and write its outputs as .npy.") { model, weights, input, output, device };
        options.AddTo(command);
        command.SetAction(result => Run(options.Read(result, result.GetValue(model)!), result.GetValue(weights)!, result.GetValue(input)!,
            result.GetValue(output)!, result.GetValue(device), Console.Out, Console.Error));
        return command;
    }

    internal static int Run(ModelOptions options, string weightsPath, string inputPath, string outputPath, string? deviceSpec, TextWriter output, TextWriter errors)
    {
        try
        {
            var batch = NpyFile.Read(inputPath);
            if (batch.Shape.Length != 4)
                throw new ArgumentException($"--input must be [N, C, H, W], but '{inputPath}' has shape ({string.Join(", ", batch.Shape)}).");
            if (batch.Shape[1] != options.InChannels)
                throw new ArgumentException($"--input has {batch.Shape[1]} channels but the model takes --in-channels {options.InChannels}.");
            var model = ModelFactory.Create(options with { ImageSize = batch.Shape[2] });
            using var device = deviceSpec is null ? Devices.ComputeDevice.OpenDefault() : Devices.ComputeDevice.Open(deviceSpec);
            model.Initialize(device);
            try
            {
                StateDict.Load(model, weightsPath);
                var g = new GraphBuilder(device, training: false);
                var x = g.Input("x", batch.Shape);
                var result = model is Vae vae ? vae.Decode(vae.Encode(x).Mu).Sigmoid() : model.Call(x);
                using var plan = g.CompileInference(result);
                plan.Value(x).CopyFrom(batch.Data);
                plan.Forward();
                NpyFile.Write(outputPath, plan.Value(result).ToArray(), result.Shape.ToArray());
                output.WriteLine($"{options.Name}: wrote {result.Shape} to {outputPath} ({device.Info.Spec})");
                return 0;
            }
            finally
            {
                model.Release();
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or Devices.DeviceNotFoundException)
        {
            errors.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
