using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops.Upsampling;

namespace Engine.Models;

/// <summary>
/// DeepLabV3 (Chen et al. 2017) as torchvision's <c>deeplabv3_resnet50</c>: a ResNet-50 backbone
/// whose last stages trade stride for dilation (output stride 8 by default, or 16), an atrous
/// spatial pyramid pooling head (a 1x1 branch, three 3x3 branches at the atrous
/// rates, and an image-level branch: global average pooling, 1x1 convolution,
/// upsampled back), a 1x1 projection, a 3x3 convolution and a 1x1 classifier, then bilinear
/// upsampling to the input size; with <c>auxiliary</c>, torchvision's FCN head on layer3.
/// Parameter names are torchvision's (<c>backbone.layer4.2.conv3.weight</c>,
/// <c>classifier.0.convs.4.1.weight</c>, <c>aux_classifier.0.weight</c>), so its state dict loads.
/// With 21 classes: 39,638,869 parameters, 42,004,074 with the auxiliary head. <c>width</c>
/// (64 in torchvision) and <c>headChannels</c> (256) give light configurations.
/// </summary>
public sealed class DeepLabV3 : Module
{
    private readonly bool _auxiliary;

    /// <summary>Creates the network.</summary>
    /// <param name="classes">Output classes (21 for PASCAL VOC).</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="width">The backbone's stem channels (64 in torchvision).</param>
    /// <param name="outputStride">8 (layer3 and layer4 dilated, torchvision's choice), 16 (layer4 only) or 4 (layer2 too: features at a quarter of the input's side, for thin structures).</param>
    /// <param name="rates">The three atrous rates (torchvision: 12, 24, 36; the paper at output stride 16: 6, 12, 18).</param>
    /// <param name="headChannels">Channels of the ASPP branches and the head (256).</param>
    /// <param name="auxiliary">torchvision's auxiliary FCN head on layer3 (its pretrained weights have it).</param>
    public DeepLabV3(int classes = 21, int inChannels = 3, int width = 64, int outputStride = 8, int[]? rates = null, int headChannels = 256, bool auxiliary = false)
    {
        rates ??= [12, 24, 36];
        if (outputStride is not (4 or 8 or 16))
            throw new ArgumentException($"DeepLabV3: the output stride must be 4, 8 or 16, got {outputStride}.", nameof(outputStride));
        if (rates.Length != 3 || rates.Any(r => r < 1))
            throw new ArgumentException($"DeepLabV3: three atrous rates of at least 1 are needed, got [{string.Join(", ", rates)}].", nameof(rates));
        if (classes <= 0 || headChannels <= 0)
            throw new ArgumentException($"DeepLabV3: classes ({classes}) and head channels ({headChannels}) must be positive.");
        _auxiliary = auxiliary;
        Register("backbone", ResNet.ResNet50Backbone(inChannels, width, ResNet.DilatedStages(outputStride)));
        int features = 32 * width; // layer4's channels: 2048 in torchvision
        Register("classifier", new Sequential(
            new Aspp(features, headChannels, rates),
            new Conv2d(headChannels, headChannels, 3, padding: 1, bias: false), new BatchNorm2d(headChannels), ReLU.Create(),
            new Conv2d(headChannels, classes, 1)));
        if (auxiliary)
        {
            Register("aux_classifier", new Sequential(
                new Conv2d(features / 2, features / 8, 3, padding: 1, bias: false), new BatchNorm2d(features / 8), ReLU.Create(), new Dropout(0.1f),
                new Conv2d(features / 8, classes, 1)));
        }
        // The heads' convolutions keep PyTorch's layer default, as torchvision's do; the backbone's are the ResNet's.
    }

    /// <summary>The logits at the input's size, <c>[N, classes, H, W]</c>, and with the auxiliary head its logits too.</summary>
    public (Node Out, Node? Aux) Build(Node x)
    {
        var backbone = (ResNet)Child("backbone");
        var (layer3, layer4) = Scoped(x, "backbone", () => backbone.Features(x));
        var size = (x.Shape[2], x.Shape[3]);
        var upsample = new Upsample(size: size, mode: InterpolationMode.Bilinear);
        var output = upsample.Call(Call("classifier", layer4), "upsample");
        var aux = _auxiliary ? upsample.Call(Call("aux_classifier", layer3), "aux_upsample") : null;
        return (output, aux);
    }

    /// <inheritdoc/>
    protected override Node Forward(Node input) => Build(input).Out;

    /// <summary>
    /// torchvision's ASPP: five branches on the backbone's features (<c>convs.0</c> 1x1;
    /// <c>convs.1-3</c> 3x3 atrous; <c>convs.4</c> image pooling, upsampled bilinearly back),
    /// concatenated and projected to <c>channels</c> by a 1x1 convolution with batch norm, ReLU and
    /// dropout 0.5 (<c>project</c>).
    /// </summary>
    private sealed class Aspp : Module
    {
        public Aspp(int inChannels, int channels, int[] rates)
        {
            Register("convs", new Sequential(
                new Sequential(new Conv2d(inChannels, channels, 1, bias: false), new BatchNorm2d(channels), ReLU.Create()),
                Atrous(inChannels, channels, rates[0]), Atrous(inChannels, channels, rates[1]), Atrous(inChannels, channels, rates[2]),
                new Pooling(inChannels, channels)));
            Register("project", new Sequential(new Conv2d(5 * channels, channels, 1, bias: false), new BatchNorm2d(channels), ReLU.Create(), new Dropout(0.5f)));
        }

        private static Sequential Atrous(int inChannels, int channels, int rate) =>
            new(new Conv2d(inChannels, channels, 3, padding: rate, dilation: rate, bias: false), new BatchNorm2d(channels), ReLU.Create());

        protected override Node Forward(Node x)
        {
            var convs = Child("convs");
            var branches = Enumerable.Range(0, 5).Select(i => convs.Child(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Call(x, $"convs.{i}")).ToArray();
            return Call("project", NodeFunctions.Concat(branches));
        }
    }

    /// <summary>
    /// torchvision's ASPPPooling, a Sequential whose index 0 is the (parameter-free) adaptive
    /// average pooling: so its convolution and batch norm are <c>1</c> and <c>2</c>.
    /// </summary>
    private sealed class Pooling : Module
    {
        public Pooling(int inChannels, int channels)
        {
            Register("1", new Conv2d(inChannels, channels, 1, bias: false));
            Register("2", new BatchNorm2d(channels));
        }

        protected override Node Forward(Node x)
        {
            var pooled = new GlobalAvgPool2d().Call(x, "0").Reshape(x.Shape[0], x.Shape[1], 1, 1);
            var h = Call("2", Call("1", pooled)).Relu();
            return new Upsample(size: (x.Shape[2], x.Shape[3]), mode: InterpolationMode.Bilinear).Call(h, "upsample");
        }
    }
}
