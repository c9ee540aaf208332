using System.Text.Json;
using Engine.Data;
using Engine.Distributed;
using Engine.Models;

namespace Engine.Training;

/// <summary>
/// Trains a <see cref="TrainingTask"/>'s model as <see cref="TrainingOptions"/> say, the way
/// Lightning's <c>Trainer.fit</c> does: epochs of shuffled batches, an evaluation on the test set
/// after each, callbacks for progress, logging and early stopping, and, given a
/// <see cref="RunFolder"/>, atomic checkpoints (last and best) that a later run resumes from to the
/// step with the same bits as an uninterrupted run. Every random stream is keyed from
/// <see cref="TrainingOptions.Seed"/>. Given a <see cref="Communicator"/>, the run is data-parallel
/// (<see cref="DataParallel"/>): each rank trains on its shard of every global batch, rank 0 alone
/// writes the run folder, and the ranks first check that they were started alike.
/// </summary>
/// <example>
/// <code>
/// using var device = ComputeDevice.OpenDefault();
/// var model = ResNet.ResNet18(classes: 10, inChannels: 1, smallStem: true, width: 8);
/// using var task = new ClassificationTask(model, device);
/// var trainer = new Trainer(task, new TrainingOptions { Epochs = 3, BatchSize = 64, LearningRate = 2e-3f });
/// trainer.Callbacks.Add(new EarlyStopping(patience: 2));
/// TrainingResult result = trainer.Fit(train, test); // result.Evaluation.Text: "accuracy 85.10% (851/1000)"
/// </code>
/// </example>
public sealed class Trainer
{
    /// <summary>A trainer of <paramref name="task"/> with <paramref name="options"/> (null: the defaults).</summary>
    /// <exception cref="ArgumentException">An option out of range, named.</exception>
    public Trainer(TrainingTask task, TrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        Task = task;
        Options = options ?? new TrainingOptions();
        Options.Validate();
    }

    /// <summary>The task: model, device, loss and evaluation.</summary>
    public TrainingTask Task { get; }

    /// <summary>How it trains.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The callbacks, called in order; read when a run starts.</summary>
    public IList<TrainingCallback> Callbacks { get; } = new List<TrainingCallback>();

    /// <summary>The ranks of a data-parallel run (null: this process alone).</summary>
    public ICommunicator? Communicator { get; init; }

    /// <summary>A data-parallel run's largest gradient bucket (<see cref="DataParallel.DefaultBucketBytes"/>, DDP's 25 MiB, by default).</summary>
    public long GradientBucketBytes { get; init; } = DataParallel.DefaultBucketBytes;

    /// <summary>
    /// Whether a data-parallel run starts each bucket's all-reduce during the backward pass, as soon
    /// as its gradients are final (the default), or exchanges all of them after it. Both give the
    /// same bits.
    /// </summary>
    public bool OverlapGradientExchange { get; init; } = true;

    /// <summary>The options the model was built from (<see cref="ModelFactory"/>), recorded in checkpoints so commands can rebuild it and a resumed run is checked against it.</summary>
    public ModelOptions? ModelOptions { get => _modelOptions; init => _modelOptions = value is null ? null : value with { Name = ModelNames.Canonical(value.Name) }; }

    // By its canonical name (ModelNames), as checkpoints record and compare it.
    private readonly ModelOptions? _modelOptions;

    /// <summary>What the program keeps with the run (<see cref="CheckpointInfo.Application"/>).</summary>
    public JsonElement? Application { get; init; }

    /// <summary>
    /// On resume, how the options changed, recorded in the checkpoint's history (null: described
    /// here by option name, e.g. <c>after epoch 3: LearningRate 0.002 -> 0.001</c>).
    /// </summary>
    public IReadOnlyList<string>? ResumeChanges { get; init; }

    /// <summary>Prepares the run and trains to its end, a stop by a callback, or cancellation (after committing a checkpoint).</summary>
    /// <param name="train">
    /// The training images with labels or masks: in memory (<see cref="ImageDataset"/>, augmented as
    /// <see cref="TrainingOptions.Augmentation"/> says), or any <see cref="IDataset"/> streamed a batch
    /// at a time in the same seeded, resumable order (an <see cref="ImageFolderDataset"/>, a
    /// <see cref="TransformedDataset"/> whose random transforms draw per epoch and image).
    /// </param>
    /// <param name="test">The images evaluated after every epoch, in memory or streamed.</param>
    /// <param name="folder">Where checkpoints and logs go (null: none); prepared for a new run unless the caller prepared it (call <see cref="RunFolder.PrepareResume"/> first to continue one).</param>
    /// <param name="cancellationToken">Stops the run after its current step, at a committed checkpoint.</param>
    /// <exception cref="ArgumentException">Data, options or a checkpoint that do not fit together, named.</exception>
    /// <exception cref="InvalidDataException">A loss or gradient that went non-finite, or a damaged checkpoint.</exception>
    /// <exception cref="IOException">A run folder that holds a run, is in use, or cannot be written.</exception>
    public TrainingResult Fit(IDataset train, IDataset test, RunFolder? folder = null, CancellationToken cancellationToken = default)
    {
        using var session = Prepare(train, test, folder);
        return session.Run(cancellationToken);
    }

    /// <summary>
    /// The memory plan of a run on <paramref name="train"/> and <paramref name="test"/>, made
    /// without allocating anything: what <see cref="Prepare"/> checks against the device, and a
    /// <see cref="Devices.ComputeDevice.MemoryLimit"/> of its <see cref="StepMemory.DeviceBytes"/> holds.
    /// </summary>
    public StepMemory PlanMemory(IDataset train, IDataset test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        int steps = Math.Max(1, train.Count / (Options.BatchSize * (Communicator?.Size ?? 1)) / Options.Accumulate);
        return TrainingSession.PlanMemory(this, train, test, steps);
    }

    /// <summary>
    /// Everything <see cref="Fit"/> does before the first step: checks, the memory and disk the
    /// run needs, the model's initialisation from the seed (unless it holds weights already) or the
    /// checkpoint's weights, the compiled training graph, the optimiser and schedule. The session
    /// describes the run; <see cref="TrainingSession.Run"/> trains it.
    /// </summary>
    /// <inheritdoc cref="Fit" path="/param"/>
    /// <inheritdoc cref="Fit" path="/exception"/>
    public TrainingSession Prepare(IDataset train, IDataset test, RunFolder? folder = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        return new TrainingSession(this, train, test, folder);
    }
}
