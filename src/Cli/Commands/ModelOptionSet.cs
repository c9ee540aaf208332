using System.CommandLine;
using Engine.Cli.Training;
using Engine.Models;

namespace Engine.Cli.Commands;

/// <summary>The options that describe a model, shared by summary and predict.</summary>
internal sealed class ModelOptionSet
{
    internal Option<int> Classes { get; } = new("--classes") { Description = "Output classes (ResNet and the segmentation networks).", DefaultValueFactory = _ => 1000 };
    internal Option<int> InChannels { get; } = new("--in-channels") { Description = "Input channels.", DefaultValueFactory = _ => 3 };
    internal Option<bool> SmallStem { get; } = new("--small-stem") { Description = "ResNet: 3x3 stem without max pooling (28x28 / 32x32 inputs)." };
    internal Option<bool> Padded { get; } = new("--padded") { Description = "U-Net: padded convolutions; FCN: the light configuration's paddings (crops at offset 0)." };
    internal Option<int> BaseWidth { get; } = new("--base-width") { Description = "Channels of the first level: the ResNet stem (also DeepLabV3's), the U-Net's first level, VGG's conv1 (FCN, SegNet, DeconvNet).", DefaultValueFactory = _ => 64 };
    internal Option<int> Latent { get; } = new("--latent") { Description = "VAE: size of z.", DefaultValueFactory = _ => 20 };
    internal Option<int?> Depth { get; } = new("--depth") { Description = "U-Net: number of poolings (default 4); SegNet and DeconvNet: blocks (default 5)." };
    internal Option<bool> BatchNorm { get; } = new("--batch-norm") { Description = "U-Net and FCN: BatchNorm after each 3x3 convolution." };
    internal Option<int?> HeadChannels { get; } = new("--head-channels") { Description = "FCN and DeconvNet: fc6's and fc7's channels (default 4096); DeepLabV3: the ASPP head's (default 256)." };
    internal Option<int> AtrousRate { get; } = new("--atrous-rate") { Description = "DeepLabV3: the first atrous rate r (rates r, 2r, 3r).", DefaultValueFactory = _ => 12 };
    internal Option<int> OutputStride { get; } = new("--output-stride") { Description = "DeepLabV3 and PSPNet: 4, 8 or 16.", DefaultValueFactory = _ => 8 };

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

    /// <summary>The options as given, checked (by the names the user typed) against what a checkpoint may hold; <paramref name="imageSize"/> comes from <paramref name="sizeOption"/>.</summary>
    /// <exception cref="ArgumentException">An option out of range, named.</exception>
    internal ModelOptions Read(ParseResult result, string name, int imageSize = 28, string sizeOption = "--size")
    {
        var options = new ModelOptions(ModelNames.Canonical(name), result.GetValue(Classes), result.GetValue(InChannels),
            result.GetValue(SmallStem), result.GetValue(Padded), result.GetValue(BaseWidth), result.GetValue(Latent), imageSize,
            result.GetValue(Depth), result.GetValue(BatchNorm), result.GetValue(HeadChannels), result.GetValue(AtrousRate), result.GetValue(OutputStride));
        Check(options, sizeOption);
        return options;
    }

    /// <summary>
    /// The model a checkpoint records, with the options given on the command line checked against
    /// it: one given that differs from the record is refused, every such option named with both values.
    /// </summary>
    /// <param name="result">The parsed command line.</param>
    /// <param name="model">The --model given, or null.</param>
    /// <param name="recorded">The checkpoint's model options.</param>
    /// <param name="checkpoint">The checkpoint file, for the message.</param>
    /// <exception cref="ArgumentException">An option that contradicts the checkpoint.</exception>
    internal ModelOptions Agree(ParseResult result, string? model, ModelOptions recorded, string checkpoint)
    {
        var conflicts = new List<string>();
        if (model is not null && ModelNames.Canonical(model) != recorded.Name)
            conflicts.Add($"--model {model} (it records {recorded.Name})");
        void Compare<T>(Option<T> option, T value)
        {
            if (result.GetResult(option) is { Implicit: false } && !EqualityComparer<T>.Default.Equals(result.GetValue(option), value))
                conflicts.Add($"{option.Name} {Text(result.GetValue(option))} (it records {Text(value)})");
        }
        Compare(Classes, recorded.Classes);
        Compare(InChannels, recorded.InChannels);
        Compare(SmallStem, recorded.SmallStem);
        Compare(Padded, recorded.Padded);
        Compare(BaseWidth, recorded.BaseWidth);
        Compare(Latent, recorded.Latent);
        Compare(Depth, recorded.Depth);
        Compare(BatchNorm, recorded.BatchNorm);
        Compare(HeadChannels, recorded.HeadChannels);
        Compare(AtrousRate, recorded.AtrousRate);
        Compare(OutputStride, recorded.OutputStride);
        if (conflicts.Count > 0)
            throw new ArgumentException($"'{checkpoint}' holds a model built otherwise: {string.Join(", ", conflicts)}; leave {(conflicts.Count == 1 ? "that option" : "those options")} out, the model is taken from the checkpoint.");
        return recorded;
    }

    private static string Text<T>(T value) => value switch
    {
        null => "(the default)",
        bool flag => flag ? "on" : "off",
        _ => value.ToString()!,
    };

    /// <summary>Refuses options out of <see cref="ModelLimits"/>, naming the option; a VAE's or autoencoder's side must be a multiple of 4 (two stride-2 levels).</summary>
    internal static void Check(ModelOptions options, string sizeOption)
    {
        if (options.Name.ToLowerInvariant() is string model && !ModelFactory.Names.Contains(model))
            throw new ArgumentException($"Unknown model '{options.Name}'. Known models: {string.Join(", ", ModelFactory.Names)}.");
        string OptionName(string property) => OptionNames.Of(property) ?? sizeOption; // the image size is the command's own
        if (ModelLimits.Problem(options, OptionName) is string problem)
            throw new ArgumentException($"{problem}.");
        bool coded = ModelNames.KindOf(options.Name) is "vae" or "ae";
        if (coded && options.ImageSize % 4 != 0)
            throw new ArgumentException($"{sizeOption} must be a multiple of 4 for the {options.Name} (two stride-2 levels), got {options.ImageSize}.");
        if (!coded && options.Classes < 1)
            throw new ArgumentException($"--classes must be between 1 and {ModelLimits.MaxClasses}, got {options.Classes}.");
    }
}
