using Engine.Checkpoints;
using Engine.Cli.Training;
using Engine.Devices;
using Engine.Models;
using Engine.Modules;
using Engine.Training;

namespace Engine.Cli.Commands;

/// <summary>Rebuilds the model of a training checkpoint on a device, checking it is the kind the command needs.</summary>
internal sealed class LoadedCheckpoint : IDisposable
{
    private LoadedCheckpoint(CheckpointInfo info, ModelOptions modelOptions, Module model, ComputeDevice device)
    {
        Info = info;
        ModelOptions = modelOptions;
        Model = model;
        Device = device;
    }

    internal CheckpointInfo Info { get; }
    internal ModelOptions ModelOptions { get; }
    internal Module Model { get; }
    internal ComputeDevice Device { get; }

    /// <summary>Opens the device, builds the model from the checkpoint's metadata and loads its weights.</summary>
    /// <param name="checkpoint">A run folder (its last checkpoint) or a checkpoint file.</param>
    /// <param name="task">The model kind the command needs (resnet, vae, ...; "segmentation" for any that segments), or null for any.</param>
    /// <param name="deviceSpec">The device, or null for the default.</param>
    internal static LoadedCheckpoint Open(string checkpoint, string? task, string? deviceSpec)
    {
        string path = RunFolder.CheckpointFile(checkpoint);
        var info = RunFolder.ReadInfo(path);
        if (task == "segmentation" ? !TrainSettings.Segments(info.Kind()) : task is not null && info.Kind() != task)
            throw new ArgumentException(task == "segmentation"
                ? $"'{path}' is a {info.Kind()} checkpoint; this command needs a segmentation one (train {string.Join(", ", TrainSettings.SegmentationModels)})."
                : $"'{path}' is a {info.Kind()} checkpoint; this command needs a {task} one (train {task}).");
        var options = info.Model ?? throw new InvalidDataException($"'{path}' does not say how to build its model (a program trained it without model options); use predict with --model and its weights.");
        var model = ModelFactory.Create(options);
        var device = CommonOptions.OpenDevice(deviceSpec);
        try
        {
            model.Initialize(device);
            StateDict.Load(model, path);
            return new LoadedCheckpoint(info, options, model, device);
        }
        catch
        {
            model.Release();
            device.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Model.Release();
        Device.Dispose();
    }
}
