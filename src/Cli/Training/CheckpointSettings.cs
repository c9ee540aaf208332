using System.Text.Json;
using Engine.Models;
using Engine.Training;

namespace Engine.Cli.Training;

/// <summary>
/// What the command line reads from a checkpoint beyond the library's record: its <c>train</c>
/// settings, kept as the run's <see cref="CheckpointInfo.Application"/>, and the model kind.
/// </summary>
internal static class CheckpointSettings
{
    /// <summary>The model kind (resnet, sppnet, unet, fcn8s, deeplab, ..., vae, ae) of the checkpoint's model (<see cref="ModelNames.KindOf"/>); for a run recorded before model options were kept, its task's; another task's own name.</summary>
    public static string Kind(this CheckpointInfo info) =>
        info.Model is { } model && ModelNames.KindOf(model.Name) is string kind ? kind : info.Task switch
        {
            "classification" => "resnet",
            "segmentation" => "unet",
            "autoencoder" => "ae",
            var task => task,
        };

    /// <summary>The dataset <c>train</c> trained on (its resolved <c>--dataset</c>).</summary>
    /// <exception cref="InvalidDataException">A checkpoint trained without the command line: give the dataset.</exception>
    public static string Dataset(this CheckpointInfo info, string source) =>
        info.Application is null
            ? throw new InvalidDataException($"'{source}' was trained by a program of its own and does not name its dataset; give --dataset.")
            : info.CommandLineSettings(source).Dataset ?? throw new InvalidDataException($"'{source}': the train settings name no dataset.");

    /// <summary>
    /// Where a command reads <paramref name="dataset"/> from for a checkpoint: <paramref name="given"/>
    /// (<c>--data</c>), else the folder the run was trained from when it is that dataset (a run
    /// trained with <c>--data</c> is evaluated on the same files, not on <c>data/&lt;name&gt;</c>), else null (the default).
    /// </summary>
    public static string? DataDirectory(this CheckpointInfo info, string source, string dataset, string? given)
    {
        if (given is not null || info.Application is null)
            return given;
        var recorded = info.CommandLineSettings(source);
        return string.Equals(recorded.Dataset, dataset, StringComparison.OrdinalIgnoreCase) ? recorded.DataDirectory : null;
    }

    /// <summary>The settings <c>train</c> recorded, checked to be of this run, as this build reads them (<see cref="TrainSettings.Upgraded"/>).</summary>
    /// <exception cref="InvalidDataException">A checkpoint a program trained without the command line, or damaged settings.</exception>
    public static TrainSettings CommandLineSettings(this CheckpointInfo info, string source)
    {
        TrainSettings? settings = null;
        try
        {
            settings = info.Application?.Deserialize<TrainSettings>();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}': damaged train settings: {e.Message}", e);
        }
        if (settings is null)
            throw new InvalidDataException($"'{source}' was trained by a program of its own, not by train; the command line cannot resume it.");
        if (!TrainSettings.Models.Contains(settings.Model) || settings.Model != info.Kind())
            throw new InvalidDataException($"'{source}': the run information has train settings for '{settings.Model}' in a {info.Task} run.");
        return settings.Upgraded();
    }
}
