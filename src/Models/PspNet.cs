using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops.Upsampling;

namespace Engine.Models;

/// <summary>
/// PSPNet (Zhao et al. 2017) as the authors' PyTorch code builds it on a ResNet-50: the dilated
/// backbone DeepLabV3 uses (output stride 8), a <see cref="PyramidPooling"/> module (bins 1, 2, 3, 6)
/// on layer4's <c>2048 = 32 x width</c> channels, then <c>cls</c>: a 3x3 convolution to
/// <c>headChannels</c> (512) with batch norm, ReLU and dropout 0.1, and a 1x1 classifier; the
/// logits upsampled bilinearly (corners aligned) to the input's size. The backbone has torchvision's
/// one-convolution stem, not the paper's three, and no auxiliary head: with 21 classes, 46,592,597
/// parameters (23,508,032 backbone, 4,198,400 pyramid, 18,874,368 + 1,024 head convolution and
/// norm, 10,773 classifier). <c>width</c> and <c>headChannels</c> give light configurations.
/// </summary>
public sealed class PspNet : Module
{
    /// <summary>Creates the network.</summary>
    /// <param name="classes">Output classes.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="width">The backbone's stem channels (64 for ResNet-50).</param>
    /// <param name="outputStride">8 (layer3 and layer4 dilated, the paper's), 16 (layer4 only) or 4 (layer2 too).</param>
    /// <param name="headChannels">Channels of the head's 3x3 convolution (512).</param>
    /// <param name="bins">The pyramid's bin sizes (1, 2, 3, 6).</param>
    public PspNet(int classes = 21, int inChannels = 3, int width = 64, int outputStride = 8, int headChannels = 512, IReadOnlyList<int>? bins = null)
    {
        if (outputStride is not (4 or 8 or 16))
            throw new ArgumentException($"PspNet: the output stride must be 4, 8 or 16, got {outputStride}.", nameof(outputStride));
        if (classes <= 0 || headChannels <= 0)
            throw new ArgumentException($"PspNet: classes ({classes}) and head channels ({headChannels}) must be positive.");
        Register("backbone", ResNet.ResNet50Backbone(inChannels, width, ResNet.DilatedStages(outputStride)));
        var pyramid = new PyramidPooling(32 * width, bins);
        Register("ppm", pyramid);
        Register("cls", new Sequential(
            new Conv2d(pyramid.OutChannels, headChannels, 3, padding: 1, bias: false), new BatchNorm2d(headChannels), ReLU.Create(), new Dropout(0.1f),
            new Conv2d(headChannels, classes, 1)));
    }

    /// <summary>The logits at the input's size, <c>[N, classes, H, W]</c>.</summary>
    protected override Node Forward(Node x)
    {
        var backbone = (ResNet)Child("backbone");
        var (_, layer4) = Scoped(x, "backbone", () => backbone.Features(x));
        var logits = Call("cls", Call("ppm", layer4));
        return new Upsample(size: (x.Shape[2], x.Shape[3]), mode: InterpolationMode.Bilinear, alignCorners: true).Call(logits, "upsample");
    }
}
