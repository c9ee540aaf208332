using System.CommandLine;
using Engine.Cli.Datasets;
using Engine.Cli.Training;
using Engine.Training;

namespace Engine.Cli.Commands;

/// <summary><c>eval --checkpoint runs/resnet [--dataset D]</c>: evaluates a training checkpoint on a dataset's test split.</summary>
internal static class EvalCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A run folder (its last checkpoint) or a checkpoint file such as runs/resnet/best.safetensors.", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "Dataset to evaluate on (default: the one it was trained on)." };
        var data = new Option<string?>("--data") { Description = "Folder with the dataset's files (default: data/<dataset>)." };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N test images." };
        var sizes = new Option<string?>("--sizes") { Description = "Classifiers (resnet, sppnet): evaluate at these image sides, e.g. 28,36,44, the images resized bilinearly (default: the sides the run trained at)." };
        var device = CommonOptions.Device();
        var command = new Command("eval", "Evaluate a checkpoint on a dataset's test images.") { checkpoint, dataset, data, limit, sizes, device };
        command.SetAction(result => Run(result.GetValue(checkpoint)!, result.GetValue(dataset), result.GetValue(data), result.GetValue(limit),
            result.GetValue(device), output, errors, result.GetValue(sizes)));
        return command;
    }

    /// <summary>Evaluates; <paramref name="sizes"/> (<c>--sizes</c>) replaces the image sides a classifier trained at.</summary>
    internal static int Run(string checkpoint, string? dataset, string? dataDirectory, int? limit, string? deviceSpec, TextWriter output, TextWriter errors, string? sizes = null) =>
        CommonOptions.Guard(errors, () =>
        {
            if (limit <= 0)
                throw new ArgumentException($"--limit must be positive, got {limit}.");
            using var loaded = LoadedCheckpoint.Open(checkpoint, task: null, deviceSpec);
            var info = loaded.Info;
            // The sides to evaluate at, checked as train checks its own --sizes (a model that cannot take one fails when its graph is built, naming the layer).
            var asked = sizes is null ? null : new TrainSettings { Model = info.Kind(), Sizes = sizes.Replace(" ", "", StringComparison.Ordinal) };
            asked?.Validate();
            string name = dataset ?? info.Dataset(checkpoint);
            var data = DatasetCatalog.Load(name, info.DataDirectory(checkpoint, name, dataDirectory));
            var test = limit is int n ? data.Test.Take(n) : data.Test;
            var m = loaded.ModelOptions;
            if (test.Channels != m.InChannels || test.Height != m.ImageSize || m.ImageWidth is int width && test.Width != width)
                throw new ArgumentException($"'{data.Name}' has {test.Channels}x{test.Height}x{test.Width} images but the checkpoint's model takes {m.InChannels} channels of {m.ImageSize}x{m.ImageWidth ?? m.ImageSize}.");
            if (info.Kind() is not ("vae" or "ae") && test.Classes != loaded.ModelOptions.Classes)
                throw new ArgumentException($"'{data.Name}' has {test.Classes} classes but the checkpoint's model {loaded.ModelOptions.Classes}.");
            using var task = TrainRun.CreateTask(info.Kind(), loaded.Model, loaded.Device, info.Options.Seed, info.Application is null ? null : info.CommandLineSettings(checkpoint), loaded.ModelOptions.Classes);
            // A run trained at several sizes (--sizes) is evaluated at each, or at the sides asked for.
            var evaluated = asked is not null ? asked.AtSizes(test) : info.Application is null ? test : info.CommandLineSettings(checkpoint).AtSizes(test);
            var evaluation = task.Evaluate(evaluated, info.Options.BatchSize);
            output.WriteLine($"{info.Kind()} ({loaded.ModelOptions.Name}, {(info.Step == 0 ? $"epoch {info.Epoch}" : $"epoch {info.Epoch + 1} step {info.Step}")}) on {data.Name}, {test.Count} test images, {loaded.Device.Info.Spec}: {evaluation.Text}");
            TrainRun.WriteSizes(output, evaluation);
            return 0;
        });
}
