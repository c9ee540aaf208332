using System.Text.Json;
using Engine.Models;
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
    public void ModelOptionsRecordedWithAnEarlierNameEqualTodaysAndBuildTheSameNetwork()
    {
        // As a checkpoint of an earlier build recorded DeepLabV3's options.
        var recorded = JsonSerializer.Deserialize<ModelOptions>("""{"Name":"deeplabv3","Classes":11,"InChannels":1,"BaseWidth":2,"HeadChannels":16,"AtrousRate":3,"OutputStride":8,"ImageSize":64}""")!;
        var today = new ModelOptions("deeplab", 11, 1, BaseWidth: 2, HeadChannels: 16, AtrousRate: 3, OutputStride: 8, ImageSize: 64);
        Assert.Equal(today, recorded);
        Assert.Equal("deeplab", (today with { Name = "DeepLabV3" }).Name);
        Assert.Contains("\"Name\":\"deeplab\"", JsonSerializer.Serialize(recorded), StringComparison.Ordinal);
        Assert.Equal(ModelFactory.Create(today).ParameterCount, ModelFactory.Create(recorded).ParameterCount);
    }
}
