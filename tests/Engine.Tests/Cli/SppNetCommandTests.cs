using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Checkpoints;
using Engine.Cli.Commands;
using Engine.Cli.Datasets;
using Engine.Cli.Training;
using Engine.Data;
using Engine.Models;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Cli;

/// <summary><c>train sppnet --sizes</c>: one run at two sizes of the embedded Fashion-MNIST, the test accuracy printed at each and recomputed from the checkpoint.</summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("the command's arguments and printed numbers; training at several sizes is proven in process on every stage (MultiSizeTrainingTests)")]
public sealed class SppNetCommandTests(DeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-sppnet-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TrainSppNetPrintsTheAccuracyAtEachSizeThatTheCheckpointGivesAgain()
    {
        var settings = new TrainSettings
        {
            Model = "sppnet", Device = fixture.Spec.ToString(), Output = Path.Combine(_folder, "run"), Epochs = 1, Width = 4, Plain = true,
            Limit = 64, BatchSize = 16, Sizes = "28, 36",
        };
        var log = new StringWriter();
        var errors = new StringWriter();
        Assert.True(TrainCommand.Run(settings, log, errors) == 0, errors.ToString());
        string text = log.ToString();
        Assert.Contains("64 training / 64 test images of 1x28x28 at sides 28, 36 (resized bilinearly; each batch one size)", text);
        var printed = Regex.Matches(text, @"  at (\d+x\d+): test (accuracy \d+\.\d\d% \(\d+/64\))").Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        Assert.Equal(["28x28", "36x36"], printed.Select(p => p.Item1));

        // The checkpoint's model evaluated again at each size gives the printed lines.
        string checkpoint = Path.Combine(settings.Output!, RunFolder.LastFile);
        var info = RunFolder.ReadInfo(checkpoint);
        Assert.Equal(("sppnet", "sppnet", 4), (info.Kind(), info.Model!.Name, info.StepsPerEpoch));
        Assert.Equal("1x28x28, 1x36x36", info.Data!.Test.Shape);
        var model = ModelFactory.Create(info.Model);
        using var task = new ClassificationTask(model, fixture.Device);
        try
        {
            model.Initialize(fixture.Device, 0);
            StateDict.Load(model, checkpoint);
            var test = DatasetCatalog.Load(DatasetCatalog.FashionMnistSmall).Test.Take(64);
            var evaluation = task.Evaluate(new MultiSizeDataset(test, [(28, 28), (36, 36)]), 16);
            Assert.Equal(printed, evaluation.BySize.Select(s => (s.Size, s.Evaluation.Text)));
            Assert.Equal(info.Value, evaluation.Value);
            Assert.Contains($"fashion-mnist-small test {evaluation.Text};", text);
            // eval reports the same sizes.
            var evalLog = new StringWriter();
            Assert.Equal(0, EvalCommand.Run(settings.Output!, null, null, 64, fixture.Spec.ToString(), evalLog, errors));
            Assert.Contains("on fashion-mnist-small, 64 test images, ", evalLog.ToString());
            Assert.Contains($": {evaluation.Text}", evalLog.ToString());
            // eval --sizes: at a side it never trained at, the same figure as the task's own evaluation there.
            var at44 = task.Evaluate(new MultiSizeDataset(test, [(44, 44)]), 16);
            var evalAt44 = new StringWriter();
            Assert.Equal(0, EvalCommand.Run(settings.Output!, null, null, 64, fixture.Spec.ToString(), evalAt44, errors, sizes: "44"));
            Assert.Contains($"  at 44x44: test {at44.BySize.Single().Evaluation.Text}", evalAt44.ToString());
            Assert.DoesNotContain("28x28", evalAt44.ToString());
            Assert.Equal(1, EvalCommand.Run(settings.Output!, null, null, 64, fixture.Spec.ToString(), TextWriter.Null, errors, sizes: "44,2"));
            Assert.Contains("--sizes takes image sides from 4 to 16384 separated by commas (e.g. 28,36), got '2'.", errors.ToString());
        }
        finally
        {
            model.Release();
        }

        // The sizes are part of the run: a resume keeps them and refuses others.
        var resumeLog = new StringWriter();
        Assert.Equal(1, TrainCommand.Run(settings with { Epochs = 2, Resume = true, Sizes = "28,40" }, resumeLog, errors));
        Assert.Contains("--resume: this run was trained with --sizes 28,36; --sizes 28,40 would make it another run", errors.ToString());
        Assert.Equal(0, TrainCommand.Run(new TrainSettings { Model = "sppnet", Output = settings.Output, Resume = true, Epochs = 2, Plain = true, Device = fixture.Spec.ToString() }, resumeLog, errors));
        Assert.Matches(@"  at 36x36: test accuracy \d+\.\d\d% \(\d+/64\)", resumeLog.ToString());
    }

    [Fact]
    public void SizesAreRefusedWhereTheyDoNotApply()
    {
        var errors = new StringWriter();
        var settings = new TrainSettings { Model = "unet", Output = Path.Combine(_folder, "u"), Sizes = "28,36", Device = fixture.Spec.ToString() };
        Assert.Equal(1, TrainCommand.Run(settings, TextWriter.Null, errors));
        Assert.Contains("--sizes applies to the classifiers (resnet, sppnet), not unet.", errors.ToString());
        errors.GetStringBuilder().Clear();
        Assert.Equal(1, TrainCommand.Run(settings with { Model = "sppnet", Sizes = "28,x" }, TextWriter.Null, errors));
        Assert.Contains("--sizes takes image sides from 4 to 16384 separated by commas (e.g. 28,36), got 'x'.", errors.ToString());
    }
}
