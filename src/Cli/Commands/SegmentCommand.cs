using System.CommandLine;
using Engine.Cli.Datasets;
using Engine.Cli.Imaging;
using Engine.Cli.Training;
using Engine.Training;
using Engine.IO;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>segment --checkpoint runs/unet</c>: segments the held-out images and prints the metrics
/// (the foreground Dice for two classes, the mean IoU for more, with per-class IoU and pixel
/// accuracy), and writes <c>segmentation.png</c>. For two classes each slice is drawn in grey with
/// the predicted mask tinted red and the true mask's outline in green; for more, each row shows
/// an image, its true classes and the predicted ones, coloured by <see cref="Palette"/>.
/// </summary>
internal static class SegmentCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A segmentation run folder (unet, fcn, deeplab, pspnet, segnet, deconvnet: its last checkpoint) or a checkpoint file.", Required = true };
        var pngOption = new Option<string?>("--output", "-o") { Description = "Where to write the overlay PNG (default: <run folder>/segmentation.png)." };
        var data = new Option<string?>("--data") { Description = "Folder with the dataset's files (default: the embedded MRI)." };
        var limit = new Option<int?>("--limit") { Description = "Segment only the first N held-out images." };
        var device = CommonOptions.Device();
        var command = new Command("segment", "Segment the held-out images with a segmentation checkpoint and write PNG overlays.") { checkpoint, pngOption, data, limit, device };
        command.SetAction(result => Run(result.GetValue(checkpoint)!, result.GetValue(pngOption), result.GetValue(data), result.GetValue(device), output, errors, result.GetValue(limit)));
        return command;
    }

    internal static int Run(string checkpoint, string? output, string? dataDirectory, string? deviceSpec, TextWriter log, TextWriter errors, int? limit = null) =>
        CommonOptions.Guard(errors, () =>
        {
            if (limit <= 0)
                throw new ArgumentException($"--limit must be positive, got {limit}.");
            var info = RunFolder.ReadInfo(RunFolder.CheckpointFile(checkpoint));
            string dataset = info.Dataset(checkpoint);
            string? folder = info.DataDirectory(checkpoint, dataset, dataDirectory);
            string path = OutputGuard.Check("--output", output ?? Path.Combine(RunFolder.FolderOf(checkpoint), "segmentation.png"),
                [("the --checkpoint", RunFolder.CheckpointFile(checkpoint)), .. DatasetCatalog.Files(dataset, folder).Select(f => ("a file of the dataset", f))]);
            using var loaded = LoadedCheckpoint.Open(checkpoint, "segmentation", deviceSpec);
            var all = DatasetCatalog.Load(dataset, folder).Test;
            var test = limit is int n ? all.Take(n) : all;
            int classes = loaded.ModelOptions.Classes;
            using var task = new SegmentationTask(loaded.Model, loaded.Device, classes);
            int[] predicted = task.Predict(test, loaded.Info.Options.BatchSize);
            var confusion = Engine.Ops.Metrics.ConfusionMatrix.Of(predicted, test.Masks!, Math.Max(test.Classes, 2));
            bool binary = classes <= 2;
            (binary ? Overlay(test.Images, test.Masks!, predicted, test.Count, test.Height, test.Width)
                : Rows(test.Images, test.Masks!, predicted, Math.Min(test.Count, 8), test.Height, test.Width)).SavePng(path);
            log.WriteLine($"{loaded.Info.Kind()} (epoch {loaded.Info.Epoch}) on {test.Count} held-out {loaded.Info.Dataset(checkpoint)} {(binary ? "slices" : "images")}: {confusion.SegmentationReport()}; " +
                (binary ? $"overlay {path} (red: predicted, green outline: true mask)" : $"{path} (image, true classes, predicted classes; background black)"));
            return 0;
        });

    /// <summary>Colours of classes 0-10: black background, then matplotlib's tab10 for the digits 0-9; more classes cycle.</summary>
    internal static readonly (byte R, byte G, byte B)[] Palette =
    [
        (0, 0, 0), (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ];

    /// <summary>One row per image: the image in grey, its true classes, its predicted classes.</summary>
    private static RgbImage Rows(float[] images, int[] truth, int[] predicted, int count, int h, int w)
    {
        int gap = 2, plane = h * w;
        var image = new RgbImage(gap + 3 * (w + gap), gap + count * (h + gap));
        for (int i = 0; i < count; i++)
        {
            int y0 = gap + i * (h + gap);
            image.DrawGrey(images.AsSpan(i * plane, plane), h, w, gap, y0);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    var (tr, tg, tb) = Colour(truth[i * plane + y * w + x]);
                    image.Set(2 * gap + w + x, y0 + y, tr, tg, tb);
                    var (pr, pg, pb) = Colour(predicted[i * plane + y * w + x]);
                    image.Set(3 * gap + 2 * w + x, y0 + y, pr, pg, pb);
                }
            }
        }
        return image;
    }

    private static (byte R, byte G, byte B) Colour(int c) => c == 0 ? Palette[0] : Palette[1 + (c - 1) % (Palette.Length - 1)];

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
