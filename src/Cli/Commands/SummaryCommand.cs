using System.CommandLine;
using Engine.Models;
using Engine.Tensors;

namespace Engine.Cli.Commands;

/// <summary><c>summary &lt;model&gt;</c>: the layer table with output shapes and parameters, the total last.</summary>
internal static class SummaryCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var model = new Argument<string>("model") { Description = $"One of {string.Join(", ", ModelFactory.Names)}." };
        var size = new Option<int?>("--size") { Description = "Input side (default: 224 ResNet, 572 U-Net, 28 VAE)." };
        var options = new ModelOptionSet();
        var command = new Command("summary", "Print a model's layers, output shapes and parameter counts.") { model, size };
        options.AddTo(command);
        command.SetAction(result => Run(options.Read(result, result.GetValue(model)!, result.GetValue(size) ?? 28), result.GetValue(size), output, errors));
        return command;
    }

    internal static int Run(ModelOptions options, int? size, TextWriter output, TextWriter errors) => ErrorReport.Guard(errors, () =>
    {
        if (size <= 0)
            throw new ArgumentException($"--size must be positive, got {size}.");
        var model = ModelFactory.Create(options);
        int side = size ?? (options.Name.StartsWith("resnet", StringComparison.OrdinalIgnoreCase) ? 224 : options.Name == "unet" ? 572 : options.ImageSize);
        using var device = Devices.ComputeDevice.Open("cpu"); // tracing only: no kernel runs, no weights are allocated
        output.WriteLine(ModelSummary.Create(model, device, new Shape(1, options.InChannels, side, side)));
        return 0;
    });
}
