using System.CommandLine;
using Engine.Models;

namespace Engine.Cli.Commands;

/// <summary>The options that describe a model, shared by summary and predict.</summary>
internal sealed class ModelOptionSet
{
    internal Option<int> Classes { get; } = new("--classes") { Description = "Output classes (ResNet, U-Net).", DefaultValueFactory = _ => 1000 };
    internal Option<int> InChannels { get; } = new("--in-channels") { Description = "Input channels.", DefaultValueFactory = _ => 3 };
    internal Option<bool> SmallStem { get; } = new("--small-stem") { Description = "ResNet: 3x3 stem without max pooling (28x28 / 32x32 inputs)." };
    internal Option<bool> Padded { get; } = new("--padded") { Description = "U-Net: padded convolutions." };
    internal Option<int> BaseWidth { get; } = new("--base-width") { Description = "Channels of the first level: the ResNet stem, the U-Net's first level.", DefaultValueFactory = _ => 64 };
    internal Option<int> Latent { get; } = new("--latent") { Description = "VAE: size of z.", DefaultValueFactory = _ => 20 };
    internal Option<int> Depth { get; } = new("--depth") { Description = "U-Net: number of poolings.", DefaultValueFactory = _ => 4 };
    internal Option<bool> BatchNorm { get; } = new("--batch-norm") { Description = "U-Net: BatchNorm after each 3x3 convolution." };

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
    }

    internal ModelOptions Read(ParseResult result, string name, int imageSize = 28) => new(name, result.GetValue(Classes), result.GetValue(InChannels),
        result.GetValue(SmallStem), result.GetValue(Padded), result.GetValue(BaseWidth), result.GetValue(Latent), imageSize,
        result.GetValue(Depth), result.GetValue(BatchNorm));
}
