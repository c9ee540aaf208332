using System.Text.Json;
using Engine.Checkpoints;
using Engine.Models;
using Engine.Modules;
using Engine.Optim;

namespace Engine.Cli.Training;

/// <summary>What a training checkpoint records beside the weights (safetensors metadata <c>engine.checkpoint</c>, JSON).</summary>
/// <param name="Task">resnet, unet or vae.</param>
/// <param name="Model">The options that rebuild the model.</param>
/// <param name="Dataset">The dataset it was trained on.</param>
/// <param name="Epoch">Epochs completed.</param>
/// <param name="StepsPerEpoch">Optimiser steps per epoch (checked against the optimiser file on resume).</param>
/// <param name="Settings">The resolved training settings.</param>
/// <param name="Metric">Name of the evaluation metric.</param>
/// <param name="Value">Its value after the last epoch.</param>
internal sealed record CheckpointInfo(string Task, ModelOptions Model, string Dataset, int Epoch, int StepsPerEpoch, TrainSettings Settings, string Metric, double Value);

/// <summary>
/// A training run's folder: <c>model.safetensors</c> (the state dict, loadable by <c>predict</c> and by
/// PyTorch, with <see cref="CheckpointInfo"/> in its metadata) and <c>optimizer.safetensors</c>. Both
/// are written atomically, optimiser first: the model file is the commit point, and a resume checks
/// that the optimiser's step count matches the model's epoch.
/// </summary>
internal static class Checkpoint
{
    internal const string ModelFile = "model.safetensors";
    internal const string OptimizerFile = "optimizer.safetensors";
    private const string MetadataKey = "engine.checkpoint";

    internal static void Save(string directory, Module model, Optimizer optimizer, CheckpointInfo info)
    {
        Directory.CreateDirectory(directory);
        StateDict.SaveOptimizer(optimizer, Path.Combine(directory, OptimizerFile));
        StateDict.Save(model, Path.Combine(directory, ModelFile), new Dictionary<string, string> { [MetadataKey] = JsonSerializer.Serialize(info) });
    }

    /// <summary>Reads the run information of a checkpoint; a file without it is reported, not guessed at.</summary>
    internal static CheckpointInfo ReadInfo(string path)
    {
        if (Directory.Exists(path))
            path = Path.Combine(path, ModelFile);
        var (_, metadata) = SafeTensorsFile.Read(path);
        if (!metadata.TryGetValue(MetadataKey, out var json))
            throw new InvalidDataException($"'{path}' is a state dict without training information ({MetadataKey}); use predict with --model for plain weights.");
        try
        {
            return JsonSerializer.Deserialize<CheckpointInfo>(json) ?? throw new InvalidDataException($"'{path}': empty {MetadataKey}.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}': damaged {MetadataKey} metadata: {e.Message}", e);
        }
    }

    /// <summary>The run folder of a checkpoint path that names the folder or its model file.</summary>
    internal static string RunFolder(string path) => Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;

    /// <summary>The model file of a checkpoint path that may name the run folder.</summary>
    internal static string ModelPath(string path) => Directory.Exists(path) ? Path.Combine(path, ModelFile) : path;
}
