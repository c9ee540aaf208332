using Engine.Models;
using Engine.Training;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>One name per model kind: the kinds, the networks of each, and the earlier names read as today's.</summary>
[DeviceIndependent("names and records: host strings, no tensor")]
public sealed class ModelNamesTests
{
    [Fact]
    public void EveryKindAndNetworkHasOneNameAndEarlierNamesReadAsIt()
    {
        Assert.Equal(["resnet", "sppnet", "unet", "fcn32s", "fcn16s", "fcn8s", "deeplab", "pspnet", "segnet", "deconvnet", "vae", "ae"], ModelNames.Kinds);
        foreach (string kind in ModelNames.Kinds)
            Assert.Equal(kind, ModelNames.Kind(kind.ToUpperInvariant()));
        foreach (string network in ModelFactory.Names)
        {
            Assert.Equal(network, ModelNames.Canonical(network.ToUpperInvariant()));
            Assert.Contains(ModelNames.KindOf(network), ModelNames.Kinds);
        }
        Assert.Equal(("deeplab", "deeplab", "deeplab"), (ModelNames.Kind("deeplabv3"), ModelNames.Canonical("DeepLabV3"), ModelNames.KindOf("deeplabv3")));
        Assert.Equal(("resnet", "resnet18", (string?)null), (ModelNames.KindOf("resnet50"), ModelNames.Canonical("resnet"), ModelNames.Kind("resnet50")));
        Assert.Equal(("ae", "ae-plain"), (ModelNames.KindOf("ae-sparse"), ModelNames.Canonical("ae")));
        Assert.Equal(("vgg16", (string?)null, (string?)null), (ModelNames.Canonical("vgg16"), ModelNames.KindOf("vgg16"), ModelNames.Kind("vgg16")));
        Assert.DoesNotContain("deeplabv3", ModelFactory.Names);
    }

    [Fact]
    public void ACheckpointRecordedWithAnEarlierNameReadsAsTodaysAndBuildsTheSameNetwork()
    {
        var today = new ModelOptions("deeplab", 11, 1, BaseWidth: 2, HeadChannels: 16, AtrousRate: 3, OutputStride: 8, ImageSize: 64);
        var info = new CheckpointInfo { Task = "segmentation", Metric = "miou", Options = new TrainingOptions(), StepsPerEpoch = 2, Model = today };
        string json = info.ToJson();
        // As an earlier build recorded DeepLabV3's options.
        string earlier = json.Replace("\"Name\":\"deeplab\"", "\"Name\":\"deeplabv3\"", StringComparison.Ordinal);
        Assert.NotEqual(json, earlier);
        Assert.Equal(today, CheckpointInfo.Parse(earlier, "last.safetensors").Model);
        Assert.Equal(ModelFactory.Create(today).ParameterCount, ModelFactory.Create(today with { Name = "deeplabv3" }).ParameterCount);
    }
}
