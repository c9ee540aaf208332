using System.Diagnostics;
using Engine.Checkpoints;
using Engine.Cli.Datasets;
using Engine.Data;
using Engine.Devices;
using Engine.Models;
using Engine.Modules;
using Engine.Optim;

namespace Engine.Cli.Training;

/// <summary>
/// The training loop behind <c>train</c>: data, model, AdamW with a cosine schedule, an evaluation
/// and a checkpoint after every epoch, and <c>--resume</c> from the last checkpoint.
/// </summary>
internal static class Trainer
{
    /// <summary>Trains as <paramref name="requested"/> asks; returns the final evaluation.</summary>
    /// <exception cref="ArgumentException">Bad settings, named.</exception>
    /// <exception cref="InvalidDataException">A checkpoint that does not fit, or damaged data.</exception>
    internal static Evaluation Run(TrainSettings requested, TextWriter output)
    {
        var settings = requested.Resolve();
        Validate(settings);
        var data = DatasetCatalog.Load(settings.Dataset!, settings.DataDirectory);
        var (train, test) = settings.Limit is int limit ? (data.Train.Take(limit), data.Test.Take(limit)) : (data.Train, data.Test);
        if (settings.Model == "unet" && train.Masks is null || settings.Model == "resnet" && train.Labels is null)
            throw new ArgumentException($"train {settings.Model} needs a dataset with {(settings.Model == "unet" ? "masks" : "labels")}; '{data.Name}' has none.");
        int batch = settings.BatchSize!.Value;
        if (batch > train.Count)
            throw new ArgumentException($"--batch-size {batch} is larger than the {train.Count} training images.");

        var modelOptions = settings.ModelOptionsFor(train.Channels, Math.Max(train.Classes, 1), train.Height);
        var model = ModelFactory.Create(modelOptions);
        using var device = settings.Device is null ? ComputeDevice.OpenDefault() : ComputeDevice.Open(settings.Device);
        model.Initialize(device, (ulong)settings.Seed);
        try
        {
            using var task = CreateTask(settings.Model, model, device);
            task.CompileTraining(train, batch);
            var loader = new DataLoader(train, batch, shuffle: true, seed: settings.Seed, dropLast: true,
                augmentation: settings.Augment == true ? new Augmentation(HorizontalFlip: true, Padding: train.Height / 16) : null);
            using var optimizer = new AdamW(model.NamedParameters().Select(p => p.Parameter), settings.LearningRate!.Value, weightDecay: settings.WeightDecay!.Value);
            int epochs = settings.Epochs!.Value, steps = loader.BatchesPerEpoch;
            var schedule = new CosineAnnealingLR(optimizer, epochs * steps, settings.LearningRate.Value / 100);

            int start = settings.Resume ? ResumeFrom(settings, modelOptions, model, optimizer, steps) : 0;
            schedule.Resume(start * steps);
            output.WriteLine($"train {settings.Model}: {modelOptions.Name}, {model.ParameterCount:N0} parameters, on {device.Info.Spec} ({device.Info.Name})");
            output.WriteLine($"  data {data.Name}: {train.Count} training / {test.Count} test images of {train.Channels}x{train.Height}x{train.Width}; " +
                $"batch {batch}, {epochs} epochs, AdamW lr {settings.LearningRate} (cosine), weight decay {settings.WeightDecay}, seed {settings.Seed}" +
                (start > 0 ? $"; resuming after epoch {start}" : ""));

            var evaluation = start > 0 && start >= epochs ? task.Evaluate(test, batch) : null;
            var clock = Stopwatch.StartNew();
            ProgressReporter.Run(settings.Plain, output, progress =>
            {
                for (int epoch = start; epoch < epochs; epoch++)
                {
                    string label = $"epoch {epoch + 1}/{epochs}";
                    progress.BeginEpoch(label, steps);
                    foreach (var b in loader.Epoch(epoch))
                    {
                        optimizer.ZeroGrad();
                        float loss = task.Step(b);
                        if (!float.IsFinite(loss))
                            throw new InvalidDataException($"{label}: the loss became {loss}; lower --lr (now {settings.LearningRate}).");
                        optimizer.Step();
                        schedule.Step();
                        progress.Step(loss, batch);
                    }
                    evaluation = task.Evaluate(test, batch);
                    progress.EndEpoch(evaluation);
                    Checkpoint.Save(settings.OutputDirectory, model, optimizer,
                        new CheckpointInfo(settings.Model, modelOptions, data.Name, epoch + 1, steps, settings, task.MetricName, evaluation.Value));
                }
            });
            output.WriteLine($"{data.Name} test {evaluation!.Text}; {clock.Elapsed.TotalSeconds:F0} s; checkpoint {Path.Combine(settings.OutputDirectory, Checkpoint.ModelFile)}");
            return evaluation;
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>The task for a model kind, over an initialised model.</summary>
    internal static TrainingTask CreateTask(string kind, Module model, ComputeDevice device) => kind switch
    {
        "resnet" => new ClassificationTask(model, device),
        "unet" => new SegmentationTask(model, device),
        _ => new VaeTask((Vae)model, device),
    };

    private static void Validate(TrainSettings s)
    {
        if (s.Epochs <= 0)
            throw new ArgumentException($"--epochs must be positive, got {s.Epochs}.");
        if (s.BatchSize <= 0)
            throw new ArgumentException($"--batch-size must be positive, got {s.BatchSize}.");
        if (!(s.LearningRate > 0) || !float.IsFinite(s.LearningRate!.Value))
            throw new ArgumentException($"--lr must be a positive number, got {s.LearningRate}.");
        if (s.WeightDecay < 0)
            throw new ArgumentException($"--weight-decay must not be negative, got {s.WeightDecay}.");
        if (s.Width <= 0)
            throw new ArgumentException($"--width must be positive, got {s.Width}.");
        if (s.Limit <= 0)
            throw new ArgumentException($"--limit must be positive, got {s.Limit}.");
    }

    /// <summary>Loads the run's checkpoint after checking it belongs to this model; returns the epochs done.</summary>
    private static int ResumeFrom(TrainSettings settings, ModelOptions modelOptions, Module model, Optimizer optimizer, int steps)
    {
        string path = Path.Combine(settings.OutputDirectory, Checkpoint.ModelFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"--resume: there is no checkpoint '{path}' to resume from.");
        var info = Checkpoint.ReadInfo(path);
        if (info.Model != modelOptions)
            throw new InvalidDataException($"--resume: '{path}' holds {info.Model} but these settings build {modelOptions}.");
        if (info.StepsPerEpoch != steps)
            throw new InvalidDataException($"--resume: '{path}' took {info.StepsPerEpoch} steps per epoch, these settings {steps} (same dataset, --limit and --batch-size needed).");
        StateDict.Load(model, path);
        StateDict.LoadOptimizer(optimizer, Path.Combine(settings.OutputDirectory, Checkpoint.OptimizerFile));
        if (optimizer.StepCount != (long)info.Epoch * steps)
            throw new InvalidDataException($"--resume: the optimiser state has {optimizer.StepCount} steps but the model {info.Epoch} epochs of {steps}; the run folder is inconsistent.");
        return info.Epoch;
    }
}
