using Engine.Cli.Imaging;
using System.Globalization;
using Engine.Checkpoints;
using Engine.Cli.Commands;
using Engine.Cli.Training;
using Engine.Training;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Cli;

/// <summary>train, eval, sample and segment end to end on tiny settings (the embedded data), and their errors.</summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("the commands' arguments, files and printed numbers; the numbers come from the library's training, evaluation and kernels, proven in process on every stage")]
public sealed class TrainingCommandTests(DeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-train-").FullName;
    private readonly StringWriter _log = new();
    private readonly StringWriter _errors = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private TrainSettings Tiny(string model, string run) => new()
    {
        Model = model, Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, run), Epochs = 1, Width = model == "vae" ? null : 4, Plain = true,
        Limit = model == "unet" ? 4 : 64, BatchSize = model == "unet" ? 2 : 16,
    };

    [Fact]
    public void TrainResNetWritesACheckpointThatEvalAndResumeRead()
    {
        var settings = Tiny("resnet", "resnet") with { LogEvery = 1 };
        Assert.Equal(0, TrainCommand.Run(settings, _log, _errors));
        string text = _log.ToString();
        Assert.Contains("epoch 1/1", text);
        Assert.Matches(@"fashion-mnist-small test accuracy \d+\.\d\d% \(\d+/64\)", text);
        string checkpoint = Path.Combine(settings.Output!, RunFolder.LastFile);
        var info = RunFolder.ReadInfo(checkpoint);
        Assert.Equal(("resnet", 1, 0, 4, "accuracy"), (info.Kind(), info.Epoch, info.Step, info.StepsPerEpoch, info.Metric));
        // The file holds a plain state dict with torchvision's names (and the optimiser under reserved names).
        var keys = SafeTensorsFile.Read(checkpoint).Tensors.Keys;
        Assert.Contains("layer4.1.bn2.num_batches_tracked", keys);
        Assert.Contains(keys, k => k.StartsWith(TrainingCheckpoint.OptimizerPrefix, StringComparison.Ordinal));

        // The run's log: each step's loss and rate, the epoch's printed mean loss and stored accuracy, and the curves.
        var steps = Csv(Path.Combine(settings.Output!, RunLog.StepsFile), "step,epoch,loss,lr");
        Assert.Equal(["1", "2", "3", "4"], steps.Select(r => r[0]));
        Assert.Equal(2e-3f, float.Parse(steps[0][3], CultureInfo.InvariantCulture)); // the cosine starts at --lr
        var epochs = Csv(Path.Combine(settings.Output!, RunLog.EpochsFile), "epoch,step,train_loss,test_accuracy,lr,seconds");
        Assert.Equal(("1", "4", steps[3][3]), (epochs[0][0], epochs[0][1], epochs[0][4]));
        double meanLoss = double.Parse(epochs[0][2], CultureInfo.InvariantCulture);
        Assert.Equal(steps.Average(r => (double)float.Parse(r[2], CultureInfo.InvariantCulture)), meanLoss, 12);
        Assert.Contains($"epoch 1/1  loss {meanLoss:F4}", text);
        Assert.Equal(info.Value, double.Parse(epochs[0][3], CultureInfo.InvariantCulture));
        Assert.Equal((800, 450), RunFiles.PngSize(Path.Combine(settings.Output!, CurvePlot.File)));
        Assert.Contains($"log {Path.Combine(settings.Output!, RunLog.EpochsFile)} and steps.csv (every step); curves {Path.Combine(settings.Output!, CurvePlot.File)}", text);

        // eval recomputes the accuracy stored at the end of training.
        var evalLog = new StringWriter();
        Assert.Equal(0, EvalCommand.Run(settings.Output!, null, null, 64, fixture.Spec.ToString(), evalLog, _errors));
        Assert.Contains($"accuracy {info.Value * 100:F2}%", evalLog.ToString());

        // --resume continues after epoch 1 and ends at epoch 2.
        var resumeLog = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(settings with { Epochs = 2, Resume = true }, resumeLog, _errors));
        Assert.Contains("resuming after epoch 1", resumeLog.ToString());
        Assert.DoesNotContain("epoch 1/2", resumeLog.ToString());
        Assert.Equal(2, RunFolder.ReadInfo(checkpoint).Epoch);
        Assert.Equal("", _errors.ToString());
        // The resumed run continued the log.
        Assert.Equal(8, Csv(Path.Combine(settings.Output!, RunLog.StepsFile), "step,epoch,loss,lr").Count);
        Assert.Equal(["1", "2"], Csv(Path.Combine(settings.Output!, RunLog.EpochsFile), "epoch,step,train_loss,test_accuracy,lr,seconds").Select(r => r[0]));

        // A resume with another model shape is refused, and nothing is overwritten.
        Assert.Equal(1, TrainCommand.Run(settings with { Epochs = 3, Resume = true, Width = 8 }, resumeLog, _errors));
        Assert.Contains("--resume: this run was trained with --base-width 4; --base-width 8 would make it another run", _errors.ToString());
        Assert.Equal(2, RunFolder.ReadInfo(checkpoint).Epoch);
    }

    [Fact]
    public void SchedulesSetTheRatesTheLogShows()
    {
        float[] Rates(string schedule, int epochs)
        {
            var settings = Tiny("resnet", schedule) with { Schedule = schedule, LogEvery = 1, Epochs = epochs };
            var log = new StringWriter();
            Assert.True(TrainCommand.Run(settings, log, _errors) == 0, _errors.ToString());
            Assert.Contains($"lr 0.002 ({schedule switch { "onecycle" => "one-cycle", "plateau" => "reduced on plateau", _ => schedule }})", log.ToString());
            return Csv(Path.Combine(settings.Output!, RunLog.StepsFile), "step,epoch,loss,lr").Select(r => float.Parse(r[3], CultureInfo.InvariantCulture)).ToArray();
        }
        Assert.All(Rates("constant", 1), r => Assert.Equal(2e-3f, r));

        // One cycle over 8 steps, peak 2e-3: from 2e-3 / 25 up to the peak by step 0.3 * 8 - 1 = 1.4, then down by cosine.
        float[] cycle = Rates("onecycle", 2);
        Assert.Equal(8, cycle.Length);
        Assert.Equal(2e-3f / 25, cycle[0], 1e-9f);
        double Cos(double start, double end, double t) => end + (start - end) / 2 * (Math.Cos(Math.PI * t) + 1);
        Assert.Equal(Cos(8e-5, 2e-3, 1 / 1.4), cycle[1], 1e-8);
        Assert.Equal(Cos(2e-3, 8e-9, (2 - 1.4) / (7 - 1.4)), cycle[2], 1e-8);
        Assert.Equal(8e-9, cycle[7], 1e-12);

        // On a plateau (PyTorch's patience of 10 epochs: no cut in 2), with its state in the checkpoint for a resume.
        Assert.All(Rates("plateau", 2), r => Assert.Equal(2e-3f, r));
        var info = RunFolder.ReadInfo(Path.Combine(_folder, "plateau", RunFolder.LastFile));
        double[] accuracies = Csv(Path.Combine(_folder, "plateau", RunLog.EpochsFile), "epoch,step,train_loss,test_accuracy,lr,seconds")
            .Select(r => double.Parse(r[3], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2, info.Plateau!.Epochs);
        Assert.Equal(accuracies.Max(), info.Plateau.Best); // max mode: accuracy
        Assert.Equal(accuracies[1] > accuracies[0] ? 0 : 1, info.Plateau.BadEpochs);
        Assert.Null(RunFolder.ReadInfo(Path.Combine(_folder, "constant", RunFolder.LastFile)).Plateau);
    }

    [Fact]
    public void InitOptionsReachTheModel()
    {
        // A rate of 1e-30 leaves every weight as initialised (AdamW's steps of about one rate are
        // below float32's resolution of any weight but 0), so the checkpoint shows how each run started.
        Dictionary<string, float[]> Start(string run, string? init, bool? zeroInitResidual)
        {
            var settings = Tiny("resnet", run) with { LearningRate = 1e-30f, Init = init, ZeroInitResidual = zeroInitResidual };
            Assert.True(TrainCommand.Run(settings, TextWriter.Null, _errors) == 0, _errors.ToString());
            return RunFiles.ModelFloats(Path.Combine(settings.Output!, RunFolder.LastFile));
        }
        var torchvision = Start("torchvision", null, null);
        var pytorch = Start("pytorch", "pytorch", null);
        var zero = Start("zero", null, true);
        // layer4.1.conv2 of width 4: 32 x 32 x 3 x 3. Fan-out Kaiming: std sqrt(2 / 288) = 0.083; the layer default: within 1 / sqrt(288) = 0.059.
        float[] Weights(Dictionary<string, float[]> run) => run["layer4.1.conv2.weight"];
        Assert.True(Weights(torchvision).Max(Math.Abs) > 1 / MathF.Sqrt(288));
        Assert.All(Weights(pytorch), w => Assert.InRange(Math.Abs(w), 0, 1 / MathF.Sqrt(288)));
        Assert.Equal(Weights(torchvision), Weights(zero)); // the same seed draws the same convolutions
        Assert.All(zero["layer2.1.bn2.weight"], w => Assert.InRange(Math.Abs(w), 0, 1e-28f)); // 0, moved by about one rate
        Assert.All(torchvision["layer2.1.bn2.weight"], w => Assert.Equal(1f, w));
    }

    [Fact]
    public void NoNormBiasDecaySparesBiasesAndNormsFromTheDecay()
    {
        // AdamW's decoupled decay at lr 1e-3 x decay 1000 multiplies a decayed weight by 0 each step.
        Dictionary<string, float[]> Trained(string run, bool spared)
        {
            var settings = Tiny("resnet", run) with { LearningRate = 1e-3f, WeightDecay = 1000f, NoNormBiasDecay = spared };
            var log = new StringWriter();
            Assert.True(TrainCommand.Run(settings, log, _errors) == 0, _errors.ToString());
            Assert.Equal(spared, log.ToString().Contains("weight decay 1000 (none on biases and norms)", StringComparison.Ordinal));
            return RunFiles.ModelFloats(Path.Combine(settings.Output!, RunFolder.LastFile));
        }
        var spared = Trained("spared", true);
        var decayed = Trained("decayed", false);
        foreach (var run in new[] { spared, decayed })
            Assert.All(run["layer1.0.conv1.weight"], w => Assert.InRange(Math.Abs(w), 0, 4e-3f)); // zeroed, then at most one Adam step
        Assert.All(spared["layer1.0.bn1.weight"], w => Assert.InRange(w, 0.99f, 1.01f)); // 1, moved by at most 4 steps of 1e-3
        Assert.All(decayed["layer1.0.bn1.weight"], w => Assert.InRange(Math.Abs(w), 0, 4e-3f));
    }

    [Fact]
    public void TrainUNetThenSegmentWritesAnOverlayAndTheDice()
    {
        var settings = Tiny("unet", "unet");
        Assert.Equal(0, TrainCommand.Run(settings, _log, _errors));
        Assert.Matches(@"brain-mri test dice \d\.\d{4}", _log.ToString());
        string png = Path.Combine(_folder, "overlay.png");
        var log = new StringWriter();
        Assert.Equal(0, SegmentCommand.Run(settings.Output!, png, null, fixture.Spec.ToString(), log, _errors));
        var printed = System.Text.RegularExpressions.Regex.Match(log.ToString(),
            @"on 12 held-out brain-mri slices: dice (\d\.\d{4}) \(IoU per class (\d\.\d{4}) (\d\.\d{4}), mean IoU (\d\.\d{4}), pixel accuracy (\d+\.\d\d)%\)");
        Assert.True(printed.Success, log.ToString());

        // The printed numbers, recomputed here from the model's predicted masks.
        using (var loaded = LoadedCheckpoint.Open(settings.Output!, "segmentation", fixture.Spec.ToString()))
        {
            var test = Engine.Cli.Datasets.DatasetCatalog.Load(loaded.Info.Dataset(settings.Output!), null).Test;
            using var task = new SegmentationTask(loaded.Model, loaded.Device);
            int[] predicted = task.Predict(test, 2), truth = test.Masks!;
            double Iou(int c) => predicted.Zip(truth).Count(p => p.First == c && p.Second == c) / (double)predicted.Zip(truth).Count(p => p.First == c || p.Second == c);
            double dice = 2.0 * predicted.Zip(truth).Count(p => p.First == 1 && p.Second == 1) / (predicted.Count(v => v == 1) + truth.Count(v => v == 1));
            double accuracy = predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;
            string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
            Assert.Equal((F(dice), F(Iou(0)), F(Iou(1)), F((Iou(0) + Iou(1)) / 2), (accuracy * 100).ToString("F2", CultureInfo.InvariantCulture)),
                (printed.Groups[1].Value, printed.Groups[2].Value, printed.Groups[3].Value, printed.Groups[4].Value, printed.Groups[5].Value));
        }
        var (width, height) = RunFiles.PngSize(png);
        Assert.Equal((6 * 130 + 2, 2 * 130 + 2), (width, height)); // 12 slices of 128 in rows of 6, 2 px apart
        Assert.Equal("", _errors.ToString());
    }

    [Fact]
    public void TrainVaeThenSampleWritesBothGrids()
    {
        var settings = Tiny("vae", "vae");
        Assert.Equal(0, TrainCommand.Run(settings, _log, _errors));
        Assert.Matches(@"negative ELBO \d+\.\d\d nats/image \(reconstruction \d+\.\d\d \+ KL \d+\.\d\d\)", _log.ToString());
        var log = new StringWriter();
        Assert.Equal(0, SampleCommand.Run(settings.Output!, null, 16, 3, null, fixture.Spec.ToString(), log, _errors));
        Assert.Equal((4 * 30 + 2, 4 * 30 + 2), RunFiles.PngSize(Path.Combine(settings.Output!, "samples.png")));
        Assert.Equal((4 * 30 + 2, 4 * 30 + 2), RunFiles.PngSize(Path.Combine(settings.Output!, "reconstructions.png"))); // 8 pairs, 4 columns
        Assert.Equal("", _errors.ToString());

        // A VAE checkpoint is not a U-Net one.
        Assert.Equal(1, SegmentCommand.Run(settings.Output!, null, null, fixture.Spec.ToString(), log, _errors));
        Assert.Contains("is a vae checkpoint; this command needs a segmentation one (train unet, fcn32s, fcn16s, fcn8s, deeplab, pspnet, segnet, deconvnet)", _errors.ToString());
    }

    [Fact]
    public void BadRequestsGetOneClearLine()
    {
        string device = fixture.Spec.ToString();
        Assert.Equal(1, TrainCommand.Run(Tiny("vgg", "x"), _log, _errors));
        Assert.Contains("Unknown model 'vgg' for train. Known: resnet, sppnet, unet, fcn32s, fcn16s, fcn8s, deeplab, pspnet, segnet, deconvnet, vae, ae.", _errors.ToString());
        Assert.Equal(1, TrainCommand.Run(Tiny("resnet", "x") with { Dataset = "cifar10" }, _log, _errors));
        Assert.Contains("Unknown dataset 'cifar10'. Known datasets: fashion-mnist-small, fashion-mnist, mnist, brain-mri, m2nist.", _errors.ToString());
        Assert.Equal(1, TrainCommand.Run(Tiny("resnet", "x") with { Dataset = "mnist", DataDirectory = Path.Combine(_folder, "none") }, _log, _errors));
        Assert.Contains("does not exist. Run scripts/download-data.sh", _errors.ToString());
        Assert.Equal(1, TrainCommand.Run(Tiny("resnet", "x") with { LearningRate = -1 }, _log, _errors));
        Assert.Contains("--lr must be a positive finite number, got -1.", _errors.ToString());
        Assert.Equal(1, TrainCommand.Run(Tiny("resnet", "x") with { BatchSize = 100 }, _log, _errors));
        Assert.Contains("--batch-size 100 is larger than the 64 training images.", _errors.ToString());
        Assert.Equal(1, TrainCommand.Run(Tiny("unet", "x") with { Dataset = "fashion-mnist-small" }, _log, _errors));
        Assert.Contains("train unet needs a dataset with masks", _errors.ToString());
        Assert.Equal(1, TrainCommand.Run(Tiny("resnet", "fresh") with { Resume = true }, _log, _errors));
        Assert.Contains("there is no checkpoint", _errors.ToString());
        Assert.Equal(1, TrainCommand.Run(Tiny("resnet", "x") with { Device = "cuda:7" }, _log, _errors));
        Assert.Contains("cuda:7", _errors.ToString());

        string plain = Path.Combine(_folder, "plain.safetensors");
        SafeTensorsFile.Write(plain, [SafeTensor.FromFloats("w", [1f], 1)]);
        Assert.Equal(1, EvalCommand.Run(plain, null, null, null, device, _log, _errors));
        Assert.Contains("is a state dict without training information", _errors.ToString());
        Assert.Equal(1, EvalCommand.Run(Path.Combine(_folder, "missing.safetensors"), null, null, null, device, _log, _errors));
        Assert.Contains("missing.safetensors' does not exist", _errors.ToString());
        Assert.Equal(1, EvalCommand.Run(plain, null, null, 0, device, _log, _errors));
        Assert.Contains("--limit must be positive, got 0.", _errors.ToString());
        Assert.Equal(1, SampleCommand.Run(plain, null, 1, 1, null, device, _log, _errors));
        Assert.Contains("--count must be between 2 and 1024, got 1.", _errors.ToString());
    }

    [Fact]
    public void AccumulationClippingAndRestoreBestAreRecordedAndKeptOnResume()
    {
        var settings = Tiny("resnet", "accumulated") with { Accumulate = 2, ClipGradNorm = 0.5f, RestoreBest = true };
        Assert.Equal(0, TrainCommand.Run(settings, _log, _errors));
        string checkpoint = Path.Combine(settings.Output!, RunFolder.LastFile);
        var info = RunFolder.ReadInfo(checkpoint);
        Assert.Equal((2, 0.5f, true), (info.Options.Accumulate, info.Options.ClipGradNorm, info.Options.RestoreBestWeights));
        Assert.Equal(64 / 16 / 2, info.StepsPerEpoch);
        Assert.Contains("batch 16, 2 batches accumulated a step (32 images), 1 epochs", _log.ToString());
        Assert.Contains("gradient norm clipped at 0.5, best weights restored at the end", _log.ToString());
        Assert.Contains($"fashion-mnist-small test accuracy {info.Value * 100:F2}%", _log.ToString());

        // Resumed for two more epochs without the options: the run keeps them (two steps an epoch);
        // the printed accuracy is the best epoch's when its weights were restored.
        var log = new StringWriter();
        Assert.Equal(0, TrainCommand.Run(new TrainSettings { Model = "resnet", Output = settings.Output, Resume = true, Epochs = 3, Plain = true, Device = fixture.Spec.ToString() }, log, _errors));
        info = RunFolder.ReadInfo(checkpoint);
        Assert.Equal((3, 6L, 2, 0.5f, true), (info.Epoch, info.GlobalStep, info.Options.Accumulate, info.Options.ClipGradNorm, info.Options.RestoreBestWeights));
        bool restored = info.BestEpoch != info.Epoch;
        Assert.Equal(restored, log.ToString().Contains($"restored the weights of epoch {info.BestEpoch}, the best (--restore-best); the last checkpoint keeps epoch 3's", StringComparison.Ordinal));
        Assert.Contains($"fashion-mnist-small test accuracy {(restored ? info.Best!.Value : info.Value) * 100:F2}%", log.ToString());
    }

    /// <summary>The rows of a CSV file after its header, which must be <paramref name="header"/>.</summary>
    [Fact]
    public void EarlyStopEndsTheRunWhereTheMetricStalledAndSaysSo()
    {
        // A reference of 4 epochs with a rate so small the accuracy of 64 images mostly stays put; the
        // early stop must end where the reference's log first went an epoch without a better accuracy.
        var reference = Tiny("resnet", "reference") with { Epochs = 4, LearningRate = 1e-6f, Schedule = "constant" };
        Assert.Equal(0, TrainCommand.Run(reference, _log, _errors));
        double[] accuracies = Csv(Path.Combine(reference.Output!, RunLog.EpochsFile), "epoch,step,train_loss,test_accuracy,lr,seconds")
            .Select(r => double.Parse(r[3], CultureInfo.InvariantCulture)).ToArray();
        int stall = Enumerable.Range(1, 3).FirstOrDefault(e => accuracies[e] <= accuracies[..e].Max()); // 0-based epoch that did not improve
        Assert.True(stall > 0, $"the reference improved every epoch ({string.Join(", ", accuracies)}): the test proves nothing");

        var log = new StringWriter();
        var stopped = reference with { Output = Path.Combine(_folder, "stopped"), EarlyStop = 1 };
        Assert.Equal(0, TrainCommand.Run(stopped, log, _errors));
        var info = RunFolder.ReadInfo(Path.Combine(stopped.Output!, RunFolder.LastFile));
        Assert.Equal((stall + 1, 0), (info.Epoch, info.Step));
        Assert.Contains($"stopped early after epoch {stall + 1} of 4: 1 epoch without a better test accuracy (best {info.Show(accuracies[..(stall + 1)].Max())}", log.ToString());
        Assert.Equal(accuracies[..(stall + 1)], info.EpochLog.Select(e => e.Metric));
    }

    private static List<string[]> Csv(string path, string header)
    {
        var lines = File.ReadAllLines(path);
        Assert.Equal(header, lines[0]);
        return lines.Skip(1).Select(l => l.Split(',')).ToList();
    }
}
