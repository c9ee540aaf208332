using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Cli.Commands;
using Engine.Cli.Datasets;
using Engine.Cli.Training;
using Engine.Training;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Cli;

/// <summary>
/// train, eval and segment for the multi-class segmenters on m2nist composites. The tests build
/// them from the embedded Fashion-MNIST subset's IDX files laid out as an MNIST folder (CI has no
/// MNIST download): the same code path with other glyphs.
/// </summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("the commands' arguments, files and printed numbers; the numbers come from the library's training, evaluation and kernels, proven in process on every stage")]
public sealed class SegmentationCommandTests(DeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-seg-").FullName;
    private readonly StringWriter _log = new();
    private readonly StringWriter _errors = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string GlyphFolder()
    {
        string folder = Path.Combine(_folder, "glyphs");
        Directory.CreateDirectory(folder);
        foreach (string file in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "test-images-idx3-ubyte.gz", "test-labels-idx1-ubyte.gz" })
        {
            using var resource = typeof(DatasetCatalog).Assembly.GetManifestResourceStream($"Engine.Cli.Datasets.Embedded.{file}")!;
            using var copy = File.Create(Path.Combine(folder, file));
            resource.CopyTo(copy);
        }
        return folder;
    }

    [Theory]
    [InlineData("fcn8s", "fcn8s")]
    [InlineData("deeplab", "deeplab")]
    [InlineData("segnet", "segnet")]
    [InlineData("deconvnet", "deconvnet")]
    public void TrainThenEvalAndSegmentPrintTheMeanIoUOfThePredictions(string kind, string modelName)
    {
        string data = GlyphFolder();
        var settings = new TrainSettings
        {
            Model = kind, Dataset = "m2nist", DataDirectory = data, Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, kind),
            Epochs = 1, Width = 2, BatchSize = 8, Limit = 16, Plain = true,
        };
        Assert.Equal(0, TrainCommand.Run(settings, _log, _errors));
        Assert.Contains($"train {kind}: {modelName}, ", _log.ToString());
        Assert.Contains("data m2nist: 16 training / 16 test images of 1x64x96", _log.ToString());
        var trained = Regex.Match(_log.ToString(), @"m2nist test mean IoU (\d\.\d{4}) \(IoU per class( \d\.\d{4}| NaN){11}, pixel accuracy \d+\.\d\d%, mean Dice \d\.\d{4}\) on 16 images");
        Assert.True(trained.Success, _log.ToString());
        var info = RunFolder.ReadInfo(Path.Combine(settings.Output!, RunFolder.LastFile));
        Assert.Equal((kind, "miou", modelName, 11), (info.Kind(), info.Metric, info.Model!.Name, info.Model.Classes));

        // eval recomputes the same mean IoU on the same 16 images.
        var eval = new StringWriter();
        Assert.Equal(0, EvalCommand.Run(settings.Output!, null, data, 16, fixture.Spec.ToString(), eval, _errors));
        Assert.Contains($"mean IoU {trained.Groups[1].Value} ", eval.ToString());

        // segment prints the metrics of the first 40 held-out composites (--limit): recomputed here from the predicted classes.
        string png = Path.Combine(_folder, $"{kind}.png");
        var segment = new StringWriter();
        Assert.Equal(0, SegmentCommand.Run(settings.Output!, png, data, fixture.Spec.ToString(), segment, _errors, limit: 40));
        var printed = Regex.Match(segment.ToString(), @$"{kind} \(epoch 1\) on 40 held-out m2nist images: mean IoU (\d\.\d{{4}}) \(IoU per class (.*), pixel accuracy (\d+\.\d\d)%, mean Dice (\d\.\d{{4}})\)");
        Assert.True(printed.Success, segment.ToString());
        using (var loaded = LoadedCheckpoint.Open(settings.Output!, "segmentation", fixture.Spec.ToString()))
        {
            var test = DatasetCatalog.Load("m2nist", data).Test.Take(40);
            using var task = new SegmentationTask(loaded.Model, loaded.Device, 11);
            int[] predicted = task.Predict(test, 8), truth = test.Masks!;
            var present = Enumerable.Range(0, 11).Where(c => predicted.Contains(c) || truth.Contains(c)).ToArray();
            double Iou(int c) => predicted.Zip(truth).Count(p => p.First == c && p.Second == c) / (double)predicted.Zip(truth).Count(p => p.First == c || p.Second == c);
            double Dice(int c) => 2.0 * predicted.Zip(truth).Count(p => p.First == c && p.Second == c) / (predicted.Count(v => v == c) + truth.Count(v => v == c));
            double accuracy = predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;
            string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
            Assert.Equal(F(present.Average(Iou)), printed.Groups[1].Value);
            Assert.Equal(string.Join(" ", Enumerable.Range(0, 11).Select(c => present.Contains(c) ? F(Iou(c)) : "NaN")), printed.Groups[2].Value);
            Assert.Equal((accuracy * 100).ToString("F2", CultureInfo.InvariantCulture), printed.Groups[3].Value);
            Assert.Equal(F(present.Average(Dice)), printed.Groups[4].Value);
        }
        Assert.Equal((2 + 3 * (96 + 2), 2 + 8 * (64 + 2)), RunFiles.PngSize(png)); // 8 rows of image, truth, prediction

        // export takes the images' own 64 x 96 (the ONNX graph's crops and upsampling are sized for it).
        var export = new StringWriter();
        Assert.Equal(0, ExportCommand.Run(settings.Output!, Path.Combine(_folder, $"{kind}.onnx"), fixture.Spec.ToString(), export, _errors));
        Assert.Contains($"images [N, 1, 64, 96] to per-pixel logits", export.ToString());
        Assert.Equal("", _errors.ToString());
    }

    [Fact]
    public void PspNetTrainsAndEvaluatesAndItsExportRefusesThePyramidsUnevenBins()
    {
        string data = GlyphFolder();
        var settings = new TrainSettings
        {
            Model = "pspnet", Dataset = "m2nist", DataDirectory = data, Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, "pspnet"),
            Epochs = 1, Width = 2, BatchSize = 8, Limit = 16, Plain = true,
        };
        Assert.Equal(0, TrainCommand.Run(settings, _log, _errors));
        Assert.Contains("train pspnet: pspnet, ", _log.ToString());
        var trained = Regex.Match(_log.ToString(), @"m2nist test mean IoU (\d\.\d{4}) \(IoU per class( \d\.\d{4}| NaN){11}, pixel accuracy \d+\.\d\d%, mean Dice \d\.\d{4}\) on 16 images");
        Assert.True(trained.Success, _log.ToString());
        var info = RunFolder.ReadInfo(Path.Combine(settings.Output!, RunFolder.LastFile));
        Assert.Equal(("pspnet", "pspnet", 16, 8), (info.Kind(), info.Model!.Name, info.Model.HeadChannels, info.Model.OutputStride));
        var eval = new StringWriter();
        Assert.Equal(0, EvalCommand.Run(settings.Output!, null, data, 16, fixture.Spec.ToString(), eval, _errors));
        Assert.Contains($"mean IoU {trained.Groups[1].Value} ", eval.ToString());
        Assert.Equal("", _errors.ToString());

        // Its 8 x 12 features pool to 3 x 3 in windows of two sizes, which ONNX's pools cannot express: one line says so.
        Assert.Equal(1, ExportCommand.Run(settings.Output!, Path.Combine(_folder, "pspnet.onnx"), fixture.Spec.ToString(), TextWriter.Null, _errors));
        string line = _errors.ToString().Trim();
        Assert.DoesNotContain('\n', line);
        Assert.Contains("adaptive_avg_pool2d", line);
        Assert.Contains("uneven", line);
        Assert.False(File.Exists(Path.Combine(_folder, "pspnet.onnx")));

        // eval --sizes is for classifiers.
        Assert.Equal(1, EvalCommand.Run(settings.Output!, null, data, 16, fixture.Spec.ToString(), TextWriter.Null, _errors, sizes: "64"));
        Assert.Contains("--sizes applies to the classifiers (resnet, sppnet), not pspnet.", _errors.ToString());

        // The output stride defines the run: a resume at another one is refused, naming both.
        Assert.Equal(1, TrainCommand.Run(settings with { Resume = true, Epochs = 2, OutputStride = 4 }, _log, _errors));
        Assert.Contains("--resume: this run was trained with --output-stride 8; --output-stride 4 would make it another run", _errors.ToString());
    }

    [Fact]
    public void ASegmenterNeedsMasksAndOptionsOfItsOwn()
    {
        var settings = new TrainSettings { Model = "fcn8s", Dataset = "fashion-mnist-small", Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, "x"), Epochs = 1, Plain = true };
        Assert.Equal(1, TrainCommand.Run(settings, _log, _errors));
        Assert.Contains("train fcn8s needs a dataset with masks; 'fashion-mnist-small' has none.", _errors.ToString());
        Assert.Equal(1, TrainCommand.Run(settings with { Dataset = null, DataDirectory = Path.Combine(_folder, "none") }, _log, _errors));
        Assert.Contains("is not a folder. Run scripts/download-data.sh", _errors.ToString());
        Assert.Equal(1, TrainCommand.Run(settings with { Latent = 2 }, _log, _errors));
        Assert.Contains("--latent applies to vae and ae only, not fcn8s.", _errors.ToString());
        Assert.Equal(1, SegmentCommand.Run(Path.Combine(_folder, "x"), null, null, fixture.Spec.ToString(), _log, _errors, limit: 0));
        Assert.Contains("--limit must be positive, got 0.", _errors.ToString());
    }
}
