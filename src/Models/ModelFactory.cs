using Engine.Modules;

namespace Engine.Models;

/// <summary>Options that pick and shape a model by name (command lines, configuration files).</summary>
/// <param name="Name">resnet18, resnet34, resnet50, sppnet, unet, fcn32s, fcn16s, fcn8s, deeplab, pspnet, segnet, deconvnet, vae, or an autoencoder: ae-plain, ae-denoising, ae-sparse, ae-contractive; <see cref="ModelFactory"/>, the trainer and a checkpoint's reader take it as <see cref="ModelNames.Canonical"/> writes it (deeplabv3, an earlier name, as deeplab; a kind, resnet or ae, as its first network).</param>
/// <param name="Classes">Output classes (ResNet, SppNet and the segmentation networks).</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="SmallStem">ResNet: a 3x3 stem without max pooling, for 28x28 or 32x32 inputs.</param>
/// <param name="Padded">U-Net: padded convolutions (output size equals input size); FCN: the light configuration's paddings (every crop at offset 0) instead of 100 on conv1_1.</param>
/// <param name="BaseWidth">Channels of the first level: the ResNet stem (64 in torchvision, also DeepLabV3's backbone), the U-Net's first level (64 in the paper), VGG's conv1 (FCN, SegNet, DeconvNet; 64), SppNet's first convolution.</param>
/// <param name="Latent">VAE: size of z; autoencoders: size of the code.</param>
/// <param name="ImageSize">The image side (rows) the model was trained on; the VAE's and autoencoders' side; DeconvNet's fc6 covers its bottleneck.</param>
/// <param name="Depth">U-Net: number of poolings (default 4); SegNet and DeconvNet: blocks (default 5).</param>
/// <param name="BatchNorm">U-Net and FCN: BatchNorm after each 3x3 convolution.</param>
/// <param name="HeadChannels">FCN and DeconvNet: fc6's and fc7's channels (default 4096); DeepLabV3: the ASPP head's (default 256).</param>
/// <param name="AtrousRate">DeepLabV3: the first atrous rate r; the ASPP's rates are r, 2r, 3r (torchvision 12; the paper at output stride 16, 6).</param>
/// <param name="OutputStride">DeepLabV3 and PSPNet: 8 (torchvision), 16 or 4.</param>
/// <param name="ImageWidth">The image columns when they differ from <paramref name="ImageSize"/> (null for square images).</param>
public sealed record ModelOptions(string Name, int Classes = 1000, int InChannels = 3, bool SmallStem = false, bool Padded = false,
    int BaseWidth = 64, int Latent = 20, int ImageSize = 28, int? Depth = null, bool BatchNorm = false, int? HeadChannels = null, int AtrousRate = 12, int OutputStride = 8,
    int? ImageWidth = null);

/// <summary>Creates the card's models by name.</summary>
public static class ModelFactory
{
    /// <summary>The model names understood.</summary>
    public static IReadOnlyList<string> Names => ModelNames.Networks;

    /// <summary>Creates the model; an unknown name is an error that lists the known ones.</summary>
    public static Module Create(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ModelNames.Canonical(options.Name) switch
        {
            "resnet18" or "resnet34" or "resnet50" => ResNet.Create(options.Name, options.Classes, options.InChannels, options.SmallStem, options.BaseWidth),
            "sppnet" => new SppNet(options.Classes, options.InChannels, options.BaseWidth),
            "unet" => new UNet(options.InChannels, options.Classes, options.BaseWidth, options.Depth ?? 4, options.Padded, options.BatchNorm),
            "fcn32s" => Fcn(options, FcnVariant.Fcn32s),
            "fcn16s" => Fcn(options, FcnVariant.Fcn16s),
            "fcn8s" => Fcn(options, FcnVariant.Fcn8s),
            "deeplab" => new DeepLabV3(options.Classes, options.InChannels, options.BaseWidth, options.OutputStride,
                [options.AtrousRate, 2 * options.AtrousRate, 3 * options.AtrousRate], options.HeadChannels ?? 256),
            "pspnet" => new PspNet(options.Classes, options.InChannels, options.BaseWidth, options.OutputStride, options.HeadChannels ?? 512),
            "segnet" => new SegNet(options.InChannels, options.Classes, options.BaseWidth, options.Depth ?? 5),
            "deconvnet" => new DeconvNet(options.InChannels, options.Classes, options.BaseWidth, options.Depth ?? 5, options.HeadChannels ?? 4096,
                (options.ImageSize, options.ImageWidth ?? options.ImageSize)),
            "vae" => new Vae(options.Latent, options.InChannels, options.ImageSize),
            "ae-plain" => new Autoencoder(AutoencoderKind.Plain, options.Latent, options.InChannels, options.ImageSize),
            "ae-denoising" => new Autoencoder(AutoencoderKind.Denoising, options.Latent, options.InChannels, options.ImageSize),
            "ae-sparse" => new Autoencoder(AutoencoderKind.Sparse, options.Latent, options.InChannels, options.ImageSize),
            "ae-contractive" => new Autoencoder(AutoencoderKind.Contractive, options.Latent, options.InChannels, options.ImageSize),
            _ => throw new ArgumentException($"Unknown model '{options.Name}'. Known models: {string.Join(", ", Names)}."),
        };
    }

    private static Fcn Fcn(ModelOptions options, FcnVariant variant) =>
        new(options.Classes, options.InChannels, variant, options.BaseWidth, options.HeadChannels ?? 4096, options.Padded, options.BatchNorm);
}
