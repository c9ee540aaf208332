using System.CommandLine;
using Engine.Cli.Training;
using Engine.Training;
using Engine.Graph;
using Engine.IO;
using Engine.Models;
using Engine.Onnx;
using Engine.Tensors;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>export --checkpoint runs/resnet -o model.onnx</c>: a trained model as ONNX (opset 17) with a
/// symbolic batch size, in evaluation mode: ResNet (images to logits), U-Net (images to per-pixel
/// logits, whichever decoder it has), or the VAE's decoder (codes to pixels in [0, 1]).
/// </summary>
internal static class ExportCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A run folder (its last checkpoint) or a checkpoint file.", Required = true };
        var file = new Option<string?>("--output", "-o") { Description = "The ONNX file (default: model.onnx in the run folder)." };
        var device = CommonOptions.Device();
        var command = new Command("export", "Export a trained model to ONNX (opset 17); the VAE exports its decoder.") { checkpoint, file, device };
        command.SetAction(result => Run(result.GetValue(checkpoint)!, result.GetValue(file), result.GetValue(device), output, errors));
        return command;
    }

    internal static int Run(string checkpoint, string? file, string? deviceSpec, TextWriter log, TextWriter errors) =>
        CommonOptions.Guard(errors, () =>
        {
            string path = OutputGuard.Check("--output", file ?? Path.Combine(RunFolder.FolderOf(checkpoint), "model.onnx"),
                [("the --checkpoint", RunFolder.CheckpointFile(checkpoint))]);
            using var loaded = LoadedCheckpoint.Open(checkpoint, null, deviceSpec);
            var m = loaded.ModelOptions;
            (Shape Input, Func<Node, Node> Forward, string What) plan = loaded.Model switch
            {
                Vae vae => (new Shape(1, vae.Latent), z => vae.Decode(z).Sigmoid(), $"the decoder: codes [N, {vae.Latent}] to pixels [N, {vae.Channels}, {vae.Size}, {vae.Size}]"),
                var model => (new Shape(1, m.InChannels, m.ImageSize, m.ImageWidth ?? m.ImageSize), x => model.Call(x),
                    $"images [N, {m.InChannels}, {m.ImageSize}, {m.ImageWidth ?? m.ImageSize}] to {(TrainSettings.Segments(loaded.Info.Kind()) ? "per-pixel logits" : "logits")}"),
            };
            byte[] bytes = OnnxExport.ExportBytes(loaded.Device, plan.Input, plan.Forward);
            AtomicFile.WriteAllBytes(path, bytes);
            log.WriteLine($"exported {loaded.Info.Kind()} ({m.Name}, {loaded.Model.ParameterCount:N0} parameters), {plan.What}, as ONNX opset {OnnxExport.Opset}: {path} ({bytes.Length:N0} bytes)");
            return 0;
        });
}
