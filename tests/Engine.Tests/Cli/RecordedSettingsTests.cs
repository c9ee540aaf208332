using System.Text.Json;
using Engine.Cli.Training;
using Engine.Models;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Cli;

/// <summary>
/// What an earlier build recorded reads back as the settings this one means: the record's missing
/// options as those builds ran, the model's earlier name as today's, and a resume checked and
/// changed by the library's rules under the command line's names.
/// </summary>
[DeviceIndependent("records and settings: host JSON, no tensor")]
public sealed class RecordedSettingsTests
{
    // A ResNet run recorded before --optimizer, --schedule, --init, --accumulate, --restore-best and --clip-grad-norm.
    private const string EarlierResNet = """{"Model":"resnet","Dataset":"fashion-mnist-small","Epochs":3,"BatchSize":64,"LearningRate":0.002,"WeightDecay":0.0005,"Seed":1,"Width":8,"Augment":false,"SyncBatchNorm":false}""";

    // Read as a checkpoint's header is read.
    private static CheckpointInfo Recorded(string task, string settings, string model) => CheckpointInfo.Parse(new CheckpointInfo
    {
        Task = task, Metric = "accuracy", Options = new TrainingOptions(), Epoch = 3, StepsPerEpoch = 2,
        Application = JsonDocument.Parse(settings).RootElement.Clone(),
        Model = JsonSerializer.Deserialize<ModelOptions>(model),
    }.ToJson(), "last.safetensors");

    [Fact]
    public void AnEarlierRecordReadsAsTheRunItWasAndResumesUnderItsRules()
    {
        var info = Recorded("classification", EarlierResNet, """{"Name":"resnet18","Classes":10,"InChannels":1,"SmallStem":true,"BaseWidth":8}""");
        Assert.Equal("resnet", info.Kind());
        var recorded = info.CommandLineSettings("last.ckpt");
        Assert.Equal(("adamw", "cosine", false, "pytorch", false, 1, false), (recorded.Optimizer, recorded.Schedule, recorded.NoNormBiasDecay, recorded.Init, recorded.ZeroInitResidual, recorded.Accumulate, recorded.RestoreBest));

        // A fixed setting is refused by its command-line name with both values (this build's default init is torchvision).
        var refused = Assert.Throws<ArgumentException>(() => ResumeSettings.Merge(new TrainSettings { Model = "resnet", Resume = true, Init = "torchvision" }, recorded, info.Position));
        Assert.Equal("--resume: this run was trained with --init pytorch; --init torchvision would make it another run (start that one in another folder with -o).", refused.Message);
        var seed = Assert.Throws<ArgumentException>(() => ResumeSettings.Merge(new TrainSettings { Model = "resnet", Resume = true, Seed = 2 }, recorded, info.Position));
        Assert.StartsWith("--resume: this run was trained with --seed 1; --seed 2 would make it another run", seed.Message, StringComparison.Ordinal);

        // The changeable ones change, each named; what was not given stays as recorded.
        var (settings, changes) = ResumeSettings.Merge(new TrainSettings { Model = "resnet", Resume = true, Epochs = 5, ClipGradNorm = 1f, RestoreBest = true, LogEvery = 2 }, recorded, info.Position);
        Assert.Equal(["after epoch 3: --epochs 3 -> 5", "after epoch 3: --clip-grad-norm off -> 1", "after epoch 3: --restore-best off -> on"], changes);
        Assert.Equal((5, 2e-3f, 1f, true, 2, 8, true), (settings.Epochs, settings.LearningRate, settings.ClipGradNorm, settings.RestoreBest, settings.LogEvery, settings.Width, settings.Resume));
    }

    [Fact]
    public void ADeepLabRecordedUnderItsEarlierNameIsADeepLabRun()
    {
        string settings = EarlierResNet.Replace("\"resnet\"", "\"deeplab\"", StringComparison.Ordinal).Replace("fashion-mnist-small", "m2nist", StringComparison.Ordinal);
        var info = Recorded("segmentation", settings, """{"Name":"deeplabv3","Classes":11,"InChannels":1,"BaseWidth":8,"HeadChannels":64,"AtrousRate":3,"OutputStride":8,"ImageSize":64,"ImageWidth":96}""");
        Assert.Equal(("deeplab", "deeplab"), (info.Kind(), info.Model!.Name));
        var recorded = info.CommandLineSettings("last.ckpt");
        Assert.Equal(info.Model, recorded.ModelOptionsFor(1, 11, 64, 96));
    }

    [Fact]
    public void EveryRuleOfTheLibraryHasTheCommandLinesNames()
    {
        // Each rule the command line can ask about maps to at least one option, and each option to a library name that exists.
        foreach (var rule in ResumeRules.All)
            Assert.True(OptionNames.Of(rule).Any(), $"{rule.Name} has no option of train");
        string[] rules = [ResumeRules.Data, ResumeRules.Model, ResumeRules.Task];
        foreach (var option in OptionNames.All)
            Assert.True(rules.Contains(option.Library) || typeof(TrainingOptions).GetProperty(option.Library) is not null || typeof(ModelOptions).GetProperty(option.Library) is not null, option.Name);
        Assert.Equal(("--seed", "--no-norm-bias-decay", "--base-width", (string?)null), (OptionNames.Of(nameof(TrainingOptions.Seed)), OptionNames.Of(nameof(TrainingOptions.NoDecayOnBiasesAndNorms)), OptionNames.Of(nameof(ModelOptions.BaseWidth)), OptionNames.Of(nameof(ModelOptions.ImageSize))));
    }
}
