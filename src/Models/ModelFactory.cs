using Engine.Modules;

namespace Engine.Models;

/// <summary>Options that pick and shape a model by name (command lines, configuration files).</summary>
/// <param name="Name">resnet18, resnet34, resnet50, unet, vae, or an autoencoder: ae-plain, ae-denoising, ae-sparse, ae-contractive.</param>
/// <param name="Classes">Output classes (ResNet, U-Net).</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="SmallStem">ResNet: a 3x3 stem without max pooling, for 28x28 or 32x32 inputs.</param>
/// <param name="Padded">U-Net: padded convolutions (output size equals input size).</param>
/// <param name="BaseWidth">Channels of the first level: the ResNet stem (64 in torchvision) or the U-Net's first level (64 in the paper).</param>
/// <param name="Latent">VAE: size of z; autoencoders: size of the code.</param>
/// <param name="ImageSize">VAE and autoencoders: image side.</param>
/// <param name="Depth">U-Net: number of poolings.</param>
/// <param name="BatchNorm">U-Net: BatchNorm after each 3x3 convolution.</param>
public sealed record ModelOptions(string Name, int Classes = 1000, int InChannels = 3, bool SmallStem = false, bool Padded = false,
    int BaseWidth = 64, int Latent = 20, int ImageSize = 28, int Depth = 4, bool BatchNorm = false);

/// <summary>Creates the card's models by name.</summary>
public static class ModelFactory
{
    /// <summary>The model names understood.</summary>
    public static IReadOnlyList<string> Names { get; } = ["resnet18", "resnet34", "resnet50", "unet", "vae", "ae-plain", "ae-denoising", "ae-sparse", "ae-contractive"];

    /// <summary>Creates the model; an unknown name is an error that lists the known ones.</summary>
    public static Module Create(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Name.ToLowerInvariant() switch
        {
            "resnet18" or "resnet34" or "resnet50" => ResNet.Create(options.Name, options.Classes, options.InChannels, options.SmallStem, options.BaseWidth),
            "unet" => new UNet(options.InChannels, options.Classes, options.BaseWidth, options.Depth, options.Padded, options.BatchNorm),
            "vae" => new Vae(options.Latent, options.InChannels, options.ImageSize),
            "ae-plain" => new Autoencoder(AutoencoderKind.Plain, options.Latent, options.InChannels, options.ImageSize),
            "ae-denoising" => new Autoencoder(AutoencoderKind.Denoising, options.Latent, options.InChannels, options.ImageSize),
            "ae-sparse" => new Autoencoder(AutoencoderKind.Sparse, options.Latent, options.InChannels, options.ImageSize),
            "ae-contractive" => new Autoencoder(AutoencoderKind.Contractive, options.Latent, options.InChannels, options.ImageSize),
            _ => throw new ArgumentException($"Unknown model '{options.Name}'. Known models: {string.Join(", ", Names)}."),
        };
    }
}
