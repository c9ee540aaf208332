using System.CommandLine;
using Engine.Cli.Datasets;
using Engine.Cli.Imaging;
using Engine.Cli.Training;
using Engine.Training;
using Engine.IO;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>segment --checkpoint runs/unet</c>: segments the held-out slices, prints the foreground Dice
/// and writes <c>segmentation.png</c>: each slice in grey with the predicted mask tinted red and
/// the true mask's outline in green.
/// </summary>
internal static class SegmentCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A U-Net run folder (its last checkpoint) or a checkpoint file.", Required = true };
        var pngOption = new Option<string?>("--output", "-o") { Description = "Where to write the overlay PNG (default: <run folder>/segmentation.png)." };
        var data = new Option<string?>("--data") { Description = "Folder with the dataset's files (default: the embedded MRI)." };
        var device = CommonOptions.Device();
        var command = new Command("segment", "Segment the held-out images with a U-Net checkpoint and write PNG overlays.") { checkpoint, pngOption, data, device };
        command.SetAction(result => Run(result.GetValue(checkpoint)!, result.GetValue(pngOption), result.GetValue(data), result.GetValue(device), output, errors));
        return command;
    }

    internal static int Run(string checkpoint, string? output, string? dataDirectory, string? deviceSpec, TextWriter log, TextWriter errors) =>
        CommonOptions.Guard(errors, () =>
        {
            string path = AtomicFile.CheckTarget(output ?? Path.Combine(RunFolder.FolderOf(checkpoint), "segmentation.png"));
            using var loaded = LoadedCheckpoint.Open(checkpoint, "unet", deviceSpec);
            var test = DatasetCatalog.Load(loaded.Info.Dataset(checkpoint), dataDirectory).Test;
            using var task = new SegmentationTask(loaded.Model, loaded.Device);
            int[] predicted = task.Predict(test, loaded.Info.Options.BatchSize);
            var confusion = Engine.Ops.Metrics.ConfusionMatrix.Of(predicted, test.Masks!, Math.Max(test.Classes, 2));
            Overlay(test.Images, test.Masks!, predicted, test.Count, test.Height, test.Width).SavePng(path);
            log.WriteLine($"unet (epoch {loaded.Info.Epoch}) on {test.Count} held-out {loaded.Info.Dataset(checkpoint)} slices: {confusion.SegmentationReport()}; overlay {path} (red: predicted, green outline: true mask)");
            return 0;
        });

    private static RgbImage Overlay(float[] images, int[] truth, int[] predicted, int count, int h, int w)
    {
        int columns = Math.Min(count, 6), gap = 2, plane = h * w;
        var image = RgbImage.Grid(images, count, h, w, columns, gap);
        for (int i = 0; i < count; i++)
        {
            int x0 = gap + i % columns * (w + gap), y0 = gap + i / columns * (h + gap);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    int at = i * plane + y * w + x;
                    if (predicted[at] == 1)
                        image.Blend(x0 + x, y0 + y, 255, 40, 40, 0.45f);
                    bool edge = truth[at] == 1 && (x == 0 || y == 0 || x == w - 1 || y == h - 1
                        || truth[at - 1] != 1 || truth[at + 1] != 1 || truth[at - w] != 1 || truth[at + w] != 1);
                    if (edge)
                        image.Set(x0 + x, y0 + y, 40, 230, 40);
                }
            }
        }
        return image;
    }
}
