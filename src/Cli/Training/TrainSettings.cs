using Engine.Cli.Datasets;
using Engine.Models;

namespace Engine.Cli.Training;

/// <summary>
/// What <c>train</c> was asked for; anything left null takes the model's default (see
/// <see cref="Resolve"/>), chosen so that the defaults run on the embedded data in minutes on two CPU cores.
/// </summary>
internal sealed record TrainSettings
{
    /// <summary>resnet, unet or vae.</summary>
    public required string Model { get; init; }
    public string? Dataset { get; init; }
    public string? DataDirectory { get; init; }
    public string? Device { get; init; }
    public int? Epochs { get; init; }
    public int? BatchSize { get; init; }
    public float? LearningRate { get; init; }
    public float? WeightDecay { get; init; }
    public int Seed { get; init; }
    public string? Output { get; init; }
    public bool Resume { get; init; }
    /// <summary>Channels of the first level (ResNet stem, U-Net level 1).</summary>
    public int? Width { get; init; }
    /// <summary>Use only the first N training and N test images (quick runs).</summary>
    public int? Limit { get; init; }
    /// <summary>Random flips and shifts of the training images.</summary>
    public bool? Augment { get; init; }
    /// <summary>Plain progress lines instead of a live bar.</summary>
    public bool Plain { get; init; }

    /// <summary>The models <c>train</c> knows.</summary>
    public static IReadOnlyList<string> Models { get; } = ["resnet", "unet", "vae"];

    /// <summary>Fills every unset value with the model's default; unknown models are an error.</summary>
    public TrainSettings Resolve() => Model.ToLowerInvariant() switch
    {
        "resnet" => this with
        {
            Model = "resnet",
            Dataset = Dataset ?? DatasetCatalog.FashionMnistSmall,
            Epochs = Epochs ?? 3,
            BatchSize = BatchSize ?? 64,
            LearningRate = LearningRate ?? 2e-3f,
            WeightDecay = WeightDecay ?? 5e-4f,
            Width = Width ?? 8,
            Augment = Augment ?? false,
        },
        "unet" => this with
        {
            Model = "unet",
            Dataset = Dataset ?? DatasetCatalog.BrainMri,
            Epochs = Epochs ?? 30,
            BatchSize = BatchSize ?? 4,
            LearningRate = LearningRate ?? 2e-3f,
            WeightDecay = WeightDecay ?? 1e-4f,
            Width = Width ?? 8,
            Augment = Augment ?? true,
        },
        "vae" => this with
        {
            Model = "vae",
            Dataset = Dataset ?? DatasetCatalog.FashionMnistSmall,
            Epochs = Epochs ?? 10,
            BatchSize = BatchSize ?? 64,
            LearningRate = LearningRate ?? 1e-3f,
            WeightDecay = WeightDecay ?? 0f,
            Width = Width,
            Augment = Augment ?? false,
        },
        _ => throw new ArgumentException($"Unknown model '{Model}' for train. Known: {string.Join(", ", Models)}."),
    };

    /// <summary>The output folder: <c>--output</c>, else <c>runs/&lt;model&gt;</c>.</summary>
    public string OutputDirectory => Output ?? Path.Combine("runs", Model);

    /// <summary>The model to build for data with <paramref name="channels"/>, <paramref name="classes"/> and side <paramref name="size"/>.</summary>
    public ModelOptions ModelOptionsFor(int channels, int classes, int size) => Model switch
    {
        "resnet" => new ModelOptions("resnet18", classes, channels, SmallStem: true, BaseWidth: Width!.Value, ImageSize: size),
        "unet" => new ModelOptions("unet", classes, channels, Padded: true, BaseWidth: Width!.Value, ImageSize: size, Depth: 4, BatchNorm: true),
        _ => new ModelOptions("vae", 0, channels, ImageSize: size),
    };
}
