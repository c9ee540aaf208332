using Engine.Graph;
using Engine.Models;
using Engine.Modules.Layers;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>DeepLabV3 with torchvision's layout, names and counts, its dilated backbone, and a light configuration that trains.</summary>
[Collection(DeviceCollection.Name)]
public sealed class DeepLabV3Tests(DeviceFixture fixture)
{
    [Fact]
    public void ParameterCountsAndNamesAreTorchvisions()
    {
        // torchvision.models.segmentation.deeplabv3_resnet50(num_classes=21): backbone 23,508,032 (ResNet-50 less fc),
        // ASPP 15,535,104, head 595,733; the auxiliary FCN head 2,365,205 more.
        Assert.Equal(39_638_869, new DeepLabV3().ParameterCount);
        var model = new DeepLabV3(auxiliary: true);
        Assert.Equal(42_004_074, model.ParameterCount);
        var names = model.NamedState().Select(s => s.Name).ToHashSet();
        foreach (string name in new[]
        {
            "backbone.conv1.weight", "backbone.layer4.2.conv3.weight", "backbone.layer3.0.downsample.1.running_var",
            "classifier.0.convs.0.0.weight", "classifier.0.convs.3.1.running_mean", "classifier.0.convs.4.1.weight", "classifier.0.convs.4.2.bias",
            "classifier.0.project.0.weight", "classifier.0.project.1.running_var", "classifier.1.weight", "classifier.2.weight", "classifier.4.weight", "classifier.4.bias",
            "aux_classifier.0.weight", "aux_classifier.1.running_mean", "aux_classifier.4.bias",
        })
            Assert.Contains(name, names);
        Assert.DoesNotContain(names, n => n.StartsWith("backbone.fc", StringComparison.Ordinal));
    }

    [Fact]
    public void BadSettingsAreRefusedNamingTheirValues()
    {
        Assert.Contains("the output stride must be 4, 8 or 16, got 32", Assert.Throws<ArgumentException>(() => new DeepLabV3(outputStride: 32)).Message);
        Assert.Contains("three atrous rates of at least 1 are needed, got [6, 12]", Assert.Throws<ArgumentException>(() => new DeepLabV3(rates: [6, 12])).Message);
        Assert.Contains("classes (0) and head channels (256) must be positive", Assert.Throws<ArgumentException>(() => new DeepLabV3(classes: 0)).Message);
        Assert.Contains("replace_stride_with_dilation needs 3 entries (layer2, layer3, layer4), got 2",
            Assert.Throws<ArgumentException>(() => ResNet.ResNet50Backbone(replaceStrideWithDilation: [true, true])).Message);
    }

    [Theory]
    [InlineData(4, 2, 4, 4, 8)]
    [InlineData(8, 1, 2, 2, 4)]
    [InlineData(16, 1, 1, 1, 2)]
    public void TheBackboneTradesStrideForDilation(int outputStride, int layer3First, int layer3Rest, int layer4First, int layer4Rest)
    {
        var model = new DeepLabV3(classes: 5, width: 4, outputStride: outputStride, headChannels: 8, rates: [6, 12, 18]);
        var backbone = (ResNet)model.Child("backbone");
        int Dilation(string layer, string block) => ((Conv2d)backbone.Child(layer).Child(block).Child("conv2")).Dilation.H;
        // torchvision's _make_layer: a dilated stage's first block keeps the dilation before it.
        Assert.Equal((layer3First, layer3Rest, layer4First, layer4Rest), (Dilation("layer3", "0"), Dilation("layer3", "5"), Dilation("layer4", "0"), Dilation("layer4", "2")));
        model.Initialize(fixture.Device, seed: 1);
        try
        {
            var g = new GraphBuilder(fixture.Device, training: false);
            var x = g.Input("x", 1, 3, 32, 32);
            var (layer3, layer4) = backbone.Features(x);
            Assert.Equal((32 / outputStride, 32 / outputStride), (layer4.Shape[2], layer4.Shape[3]));
            Assert.Equal(new Engine.Tensors.Shape(1, 5, 32, 32), model.Call(g.Input("y", 1, 3, 32, 32)).Shape);
        }
        finally
        {
            model.Release();
        }
    }

    [Fact]
    public void ALightConfigurationLearnsATinyBatch()
    {
        var model = new DeepLabV3(classes: 2, inChannels: 1, width: 2, outputStride: 16, headChannels: 8, rates: [1, 2, 3], auxiliary: true);
        model.Initialize(fixture.Device, seed: 3);
        try
        {
            var (first, last) = BrightHalves.Train(model, fixture.Device, (x, y) =>
            {
                var (output, aux) = model.Build(x);
                return NodeFunctions.WeightedSum(output.CrossEntropy(y), 1f, aux!.CrossEntropy(y), 0.5f); // torchvision's recipe: aux weight 0.5
            });
            Assert.True(float.IsFinite(last) && last < 0.6f * first, $"loss {first} -> {last}");
        }
        finally
        {
            model.Release();
        }
    }
}
