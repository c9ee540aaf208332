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
        var size = new Option<int?>("--size") { Description = "Input side (default: 224 ResNet, SegNet and DeconvNet, 572 U-Net, 500 FCN, 513 DeepLabV3, 28 VAE)." };
        var options = new ModelOptionSet();
        var command = new Command("summary", "Print a model's layers, output shapes and parameter counts.") { model, size };
        options.AddTo(command);
        command.SetAction(result => ErrorReport.Guard(errors, () => Run(options.Read(result, result.GetValue(model)!, result.GetValue(size) ?? 28), result.GetValue(size), output, errors)));
        return command;
    }

    internal static int Run(ModelOptions options, int? size, TextWriter output, TextWriter errors) => ErrorReport.Guard(errors, () =>
    {
        int side = size ?? options.Name.ToLowerInvariant() switch
        {
            var name when name.StartsWith("resnet", StringComparison.Ordinal) => 224,
            "unet" => 572,
            "fcn32s" or "fcn16s" or "fcn8s" => 500,
            "deeplab" => 513,
            "pspnet" => 473,
            "segnet" or "deconvnet" => 224,
            _ => options.ImageSize,
        };
        // DeconvNet's fc6 covers the bottleneck of the side it is built for.
        var model = ModelFactory.Create(options.Name.Equals("deconvnet", StringComparison.OrdinalIgnoreCase) ? options with { ImageSize = side } : options);
        using var device = Devices.ComputeDevice.Open("cpu"); // tracing only: no kernel runs, no weights are allocated
        string table;
        try
        {
            table = ModelSummary.Create(model, device, new Shape(1, options.InChannels, side, side));
        }
        catch (ArgumentException e)
        {
            // A layer that cannot take what the layers before it make: the side is what to change.
            throw new ArgumentException($"--size {side} does not fit the {options.Name}: {e.Message}", e);
        }
        output.WriteLine(table);
        return 0;
    });
}
