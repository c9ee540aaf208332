using System.CommandLine;
using Engine.Models;

namespace Engine.Cli.Commands;

/// <summary>The options that describe a model, shared by summary and predict.</summary>
internal sealed class ModelOptionSet
{
    internal Option<int> Classes { get; } = new("--classes") { Description = "Output classes (ResNet and the segmentation networks).", DefaultValueFactory = _ => 1000 };
    internal Option<int> InChannels { get; } = new("--in-channels") { Description = "Input channels.", DefaultValueFactory = _ => 3 };
    internal Option<bool> SmallStem { get; } = new("--small-stem") { Description = "ResNet: 3x3 stem without max pooling (28x28 / 32x32 inputs)." };
    internal Option<bool> Padded { get; } = new("--padded") { Description = "U-Net: padded convolutions; FCN: the light configuration's paddings (crops at offset 0)." };
    internal Option<int> BaseWidth { get; } = new("--base-width") { Description = "Channels of the first level: the ResNet stem (also DeepLabV3's), the U-Net's first level, VGG's conv1 (FCN, SegNet).", DefaultValueFactory = _ => 64 };
    internal Option<int> Latent { get; } = new("--latent") { Description = "VAE: size of z.", DefaultValueFactory = _ => 20 };
    internal Option<int?> Depth { get; } = new("--depth") { Description = "U-Net: number of poolings (default 4); SegNet: blocks (default 5)." };
    internal Option<bool> BatchNorm { get; } = new("--batch-norm") { Description = "U-Net and FCN: BatchNorm after each 3x3 convolution." };
    internal Option<int?> HeadChannels { get; } = new("--head-channels") { Description = "FCN: fc6's and fc7's channels (default 4096); DeepLabV3: the ASPP head's (default 256)." };
    internal Option<int> AtrousRate { get; } = new("--atrous-rate") { Description = "DeepLabV3: the first atrous rate r (rates r, 2r, 3r).", DefaultValueFactory = _ => 12 };
    internal Option<int> OutputStride { get; } = new("--output-stride") { Description = "DeepLabV3: 8 or 16.", DefaultValueFactory = _ => 8 };

    internal void AddTo(Command command)
    {
        command.Options.Add(Classes);
        command.Options.Add(InChannels);
        command.Options.Add(SmallStem);
        command.Options.Add(Padded);
        command.Options.Add(BaseWidth);
        command.Options.Add(Latent);
        command.Options.Add(Depth);
        command.Options.Add(BatchNorm);
        command.Options.Add(HeadChannels);
        command.Options.Add(AtrousRate);
        command.Options.Add(OutputStride);
    }

    internal ModelOptions Read(ParseResult result, string name, int imageSize = 28) => new(name, result.GetValue(Classes), result.GetValue(InChannels),
        result.GetValue(SmallStem), result.GetValue(Padded), result.GetValue(BaseWidth), result.GetValue(Latent), imageSize,
        result.GetValue(Depth), result.GetValue(BatchNorm), result.GetValue(HeadChannels), result.GetValue(AtrousRate), result.GetValue(OutputStride));
}
