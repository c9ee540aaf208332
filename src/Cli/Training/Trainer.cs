using System.Diagnostics;
using Engine.Checkpoints;
using Engine.Cli.Datasets;
using Engine.Cli.Imaging;
using Engine.Data;
using Engine.Devices;
using Engine.Distributed;
using Engine.Models;
using Engine.Modules;
using Engine.Ops.Random;
using Engine.Optim;

namespace Engine.Cli.Training;

/// <summary>
/// The training loop behind <c>train</c>: data, model, AdamW with a cosine schedule, an evaluation
/// and a checkpoint after every epoch (and every <c>--save-every</c> steps), <c>--resume</c> from the
/// last checkpoint to the step, and a clean stop on SIGINT or SIGTERM. Every random stream is keyed
/// from <c>--seed</c> (<see cref="RandomStreams"/>), and every piece of state is in the checkpoint,
/// so a resumed run computes the same bits as an uninterrupted one. Given a communicator, the run is
/// data-parallel (<see cref="DataParallel"/>): every rank trains on its shard of each global batch,
/// rank 0 alone owns the run folder and writes progress, and the ranks first check that they were
/// started alike (<see cref="RankAgreement"/>).
/// </summary>
internal static class Trainer
{
    /// <summary>Trains as <paramref name="requested"/> asks.</summary>
    /// <exception cref="ArgumentException">Bad settings, named.</exception>
    /// <exception cref="InvalidDataException">A checkpoint that does not fit, damaged data, or a loss or gradient that went non-finite.</exception>
    /// <exception cref="IOException">An output folder that holds a run, cannot be written or lacks space.</exception>
    internal static TrainingResult Run(TrainSettings requested, TextWriter output, InterruptSignal? interrupt = null, ICommunicator? communicator = null)
    {
        int rank = communicator?.Rank ?? 0, ranks = communicator?.Size ?? 1;
        bool root = rank == 0;
        if (!root)
            output = TextWriter.Null;
        string kind = TrainSettings.Kind(requested.Model);
        using var folder = new RunFolder((requested with { Model = kind }).OutputDirectory);
        CheckpointInfo? resumed = null;
        TrainSettings settings;
        var history = new List<string>();
        if (requested.Resume)
        {
            requested.Validate();
            resumed = root ? folder.PrepareResume() : null;
            communicator?.Barrier(); // rank 0 has settled the folder (a newer best copied over the last)
            resumed ??= RunFolder.ReadInfo(folder.LastPath); // the run folder lies on a file system every rank sees
            if (resumed.Task != kind)
                throw new ArgumentException($"--resume: '{folder.LastPath}' is a {resumed.Task} run, not {kind}.");
            if (resumed.Ranks != ranks)
                throw new ArgumentException($"--resume: '{folder.LastPath}' was trained on {resumed.Ranks} rank{(resumed.Ranks == 1 ? "" : "s")}, each with its shard of the data; resume it on as many ({(resumed.Ranks == 1 ? "without mpiexec" : $"mpiexec -n {resumed.Ranks}")}), not {ranks}.");
            (settings, var changes) = ResumeSettings.Merge(requested, resumed.Settings, resumed.Position);
            int done = resumed.Epoch + (resumed.Step > 0 ? 1 : 0);
            if (settings.Epochs < done)
                throw new ArgumentException($"--resume: this run is {resumed.Position}; --epochs {settings.Epochs} is fewer than the epochs it has begun ({done}).");
            history.AddRange(resumed.History);
            history.AddRange(changes);
        }
        else
        {
            if (requested.DataDirectory is string dataDirectory && requested.Dataset is null)
                requested = requested with { Dataset = DatasetCatalog.Infer(dataDirectory) };
            settings = requested.Resolve();
            settings.Validate();
            if (root)
                folder.PrepareNew(settings.Overwrite);
        }
        settings.Validate();

        var data = DatasetCatalog.Load(settings.Dataset!, settings.DataDirectory);
        var (train, test) = settings.Limit is int limit ? (data.Train.Take(limit), data.Test.Take(limit)) : (data.Train, data.Test);
        if (kind == "unet" && train.Masks is null || kind == "resnet" && train.Labels is null)
            throw new ArgumentException($"train {kind} needs a dataset with {(kind == "unet" ? "masks" : "labels")}; '{data.Name}' has none.");
        int batch = settings.BatchSize!.Value;
        if ((long)batch * ranks > train.Count)
            throw new ArgumentException(ranks == 1 ? $"--batch-size {batch} is larger than the {train.Count} training images."
                : $"--batch-size {batch} on each of {ranks} ranks ({(long)batch * ranks} images a step) is more than the {train.Count} training images.");
        if (test.Count < ranks)
            throw new ArgumentException($"{test.Count} test images cannot give each of {ranks} ranks one to evaluate.");
        var loader = new DataLoader(train, batch, shuffle: true, seed: settings.Seed!.Value, dropLast: true,
            augmentation: settings.Augment == true ? new Augmentation(HorizontalFlip: true, Padding: train.Height / 16) : null, rank: rank, ranks: ranks);
        int epochs = settings.Epochs!.Value, steps = loader.BatchesPerEpoch;
        if ((long)epochs * steps > int.MaxValue)
            throw new ArgumentException($"--epochs {epochs} of {steps} steps make {(long)epochs * steps} steps, more than the schedule counts ({int.MaxValue}).");
        if (resumed is not null && resumed.StepsPerEpoch != steps)
            throw new InvalidDataException($"--resume: '{folder.LastPath}' took {resumed.StepsPerEpoch} steps per epoch, these settings {steps}.");

        var modelOptions = settings.ModelOptionsFor(train.Channels, Math.Max(train.Classes, 1), train.Height);
        if (resumed is not null && resumed.Model != modelOptions)
            throw new InvalidDataException($"--resume: '{folder.LastPath}' holds {resumed.Model} but these settings build {modelOptions}.");
        var model = ModelFactory.Create(modelOptions);
        if (model is ResNet resnet)
        {
            if (settings.Init == "pytorch")
                resnet.WithLayerDefaultInit();
            if (settings.ZeroInitResidual == true)
                resnet.WithZeroInitResidual();
        }
        if (communicator is not null && settings.SyncBatchNorm == true)
            DataParallel.SynchronizeBatchNorm(model, communicator);
        using var device = settings.Device is null ? ComputeDevice.OpenDefault() : ComputeDevice.Open(settings.Device);
        if (settings.MemoryLimit is long memoryLimit)
            device.MemoryLimit = memoryLimit;
        ulong seed = settings.Seed.Value;
        using var task = CreateTask(kind, model, device, seed);
        task.Communicator = communicator;
        CheckFits(model, device, task.BuildTraining(train, batch, RandomStreams.Derive(seed, RandomStream.Noise)), folder, fresh: resumed is null);

        model.Initialize(device, RandomStreams.Derive(seed, RandomStream.Initialization));
        try
        {
            task.CompileTraining();
            var parameters = model.NamedParameters().Select(p => p.Parameter).ToList();
            IReadOnlyList<ParameterGroup> groups = settings.NoNormBiasDecay == true ? ParameterGroup.NoDecayOnBiasesAndNorms(parameters) : [new ParameterGroup(parameters)];
            using Optimizer optimizer = settings.Optimizer == "sgd"
                ? new Sgd(groups, settings.LearningRate!.Value, momentum: 0.9f, weightDecay: settings.WeightDecay!.Value)
                : new AdamW(groups, settings.LearningRate!.Value, weightDecay: settings.WeightDecay!.Value);
            float lr = settings.LearningRate.Value;
            LearningRateSchedule? schedule = settings.Schedule switch
            {
                "onecycle" => new OneCycleLR(optimizer, lr, epochs * steps),
                "plateau" or "constant" => null,
                _ => new CosineAnnealingLR(optimizer, epochs * steps, lr / 100),
            };
            var plateau = settings.Schedule == "plateau"
                ? new ReduceLROnPlateau(optimizer, task.HigherIsBetter ? PlateauMode.Max : PlateauMode.Min)
                : null;
            var state = resumed ?? new CheckpointInfo
            {
                Task = kind, Model = modelOptions, Dataset = data.Name, Settings = settings, StepsPerEpoch = steps,
                Metric = task.MetricName, HigherIsBetter = task.HigherIsBetter, Ranks = ranks,
            };
            if (resumed is not null)
            {
                TrainingCheckpoint.Load(folder.LastPath, model, optimizer);
                if (optimizer.StepCount != resumed.GlobalStep)
                    throw new InvalidDataException($"--resume: '{folder.LastPath}' holds an optimiser after {optimizer.StepCount} steps but run information for {resumed.GlobalStep}.");
                task.NoiseOffset = resumed.NoiseOffset;
                state = resumed with { Settings = settings, History = history };
            }
            schedule?.Resume(checked((int)state.GlobalStep));
            if (plateau is not null && state.Plateau is { } plateauState)
                plateau.Resume(resumed!.Settings.LearningRate == lr ? plateauState : plateauState with { LearningRate = lr }); // a new --lr restarts from it
            DataParallel? parallel = null;
            if (communicator is not null)
            {
                RankAgreement.Check(communicator, settings, modelOptions, train, test, state.GlobalStep);
                parallel = new DataParallel(communicator, model, optimizer);
                parallel.BroadcastState();
            }

            output.WriteLine($"train {kind}: {modelOptions.Name}, {model.ParameterCount:N0} parameters, on {device.Info.Spec} ({device.Info.Name})");
            output.WriteLine($"  data {data.Name}: {train.Count} training / {test.Count} test images of {train.Channels}x{train.Height}x{train.Width}; " +
                (ranks == 1 ? $"batch {batch}" : $"batch {batch} on each of {ranks} ranks ({batch * ranks} a step{(settings.SyncBatchNorm == true ? ", synchronised batch norm" : "")}) over {communicator!.Description}") + $", {epochs} epochs, {(settings.Optimizer == "sgd" ? "SGD (momentum 0.9)" : "AdamW")} lr {settings.LearningRate} ({ScheduleName(settings.Schedule)}), weight decay {settings.WeightDecay}{(settings.NoNormBiasDecay == true ? " (none on biases and norms)" : "")}, seed {seed}" +
                (resumed is null ? "" : $"; resuming {resumed.Position}"));
            if (root && !CurvePlot.CanDrawText)
                output.WriteLine($"  note: this system has no fonts, so {RunLog.CurvesFile} will have lines but no text (Debian: apt-get install fonts-dejavu-core)");
            foreach (string change in history.Skip(resumed?.History.Count ?? 0))
                output.WriteLine($"  changed on resume, {change}");

            var loop = new TrainingLoop(task, model, optimizer, schedule, plateau, loader, folder, interrupt, settings, parallel);
            var evaluation = state.Epoch >= epochs && state.Step == 0 ? task.Evaluate(test, batch) : null;
            var clock = Stopwatch.StartNew();
            bool interrupted = false;
            ProgressReporter.Run(settings.Plain || !root, output, progress => (state, evaluation, interrupted) = loop.Run(state, test, progress, evaluation));
            if (parallel is { Exchanges: > 0 })
            {
                double ms = parallel.ExchangeTime.TotalMilliseconds / parallel.Exchanges;
                output.WriteLine($"data-parallel: {parallel.Exchanges} steps on {ranks} ranks; gradient exchange {ms:F2} ms a step " +
                    $"({ByteSize.MiB(parallel.ValuesPerStep * 4)} in {parallel.BucketCount} bucket{(parallel.BucketCount == 1 ? "" : "s")}, rank 0's view: includes waiting for the slowest rank)");
            }
            if (loop.StepProfile is { } stepProfile)
            {
                output.WriteLine($"launch profile ({ComputeDevice.ProfileVariable}=1) of one training step (the run's second):");
                output.Write(stepProfile.Format());
            }
            if (interrupted)
            {
                output.WriteLine($"interrupted {(state.Step == 0 ? $"after epoch {state.Epoch}" : $"in epoch {state.Epoch + 1} after step {state.Step} of {steps}")}: " +
                    $"checkpoint {folder.LastPath} committed; continue with: train {kind} -o {folder.Path} --resume");
                return new TrainingResult(evaluation, true, state);
            }
            output.WriteLine($"{data.Name} test {evaluation!.Text}; {clock.Elapsed.TotalSeconds:F0} s; checkpoint {folder.LastPath}" +
                (state.Best is double best && state.BestEpoch != state.Epoch ? $"; best {state.Metric} {state.Show(best)} after epoch {state.BestEpoch}: {folder.BestPath}" : ""));
            if (root)
                output.WriteLine($"log {System.IO.Path.Combine(folder.Path, RunLog.EpochsFile)} and {RunLog.StepsFile} ({settings.LogInterval switch { 1 => "every step", int n => $"every {n} steps" }}); curves {System.IO.Path.Combine(folder.Path, RunLog.CurvesFile)}");
            return new TrainingResult(evaluation, false, state);
        }
        finally
        {
            model.Release();
        }
    }

    private static string ScheduleName(string? schedule) => schedule switch
    {
        "onecycle" => "one-cycle",
        "plateau" => "reduced on plateau",
        "constant" => "constant",
        _ => "cosine",
    };

    /// <summary>The task for a model kind, over a model; a run's <paramref name="seed"/> keys the VAE's evaluation noise.</summary>
    internal static TrainingTask CreateTask(string kind, Module model, ComputeDevice device, ulong seed) => kind switch
    {
        "resnet" => new ClassificationTask(model, device),
        "unet" => new SegmentationTask(model, device),
        _ => new VaeTask((Vae)model, device, RandomStreams.Derive(seed, RandomStream.Evaluation)),
    };

    /// <summary>
    /// Before anything is allocated: the step's memory (parameters, gradients and AdamW's two
    /// moments, the planned activations and gradients) against what the device has, and the
    /// checkpoints against the disk; each refusal gives both numbers.
    /// </summary>
    private static void CheckFits(Module model, ComputeDevice device, long plannedBytes, RunFolder folder, bool fresh)
    {
        long parameters = model.ParameterCount;
        long stateElements = model.NamedState().Sum(s => s.State.Shape.Numel);
        long weights = 4 * (stateElements + 3 * parameters); // values and buffers; gradients, exp_avg, exp_avg_sq
        long needed = weights + plannedBytes;
        long free = device.FreeMemory;
        if (needed > free)
        {
            throw new OutOfDeviceMemoryException(device.Info.Spec,
                $"the training step ({ByteSize.MiB(weights)} of weights, gradients and optimiser state, {ByteSize.MiB(plannedBytes)} of activations)",
                needed, free);
        }
        // A new run needs room for last, best and a temporary; a resumed one has the two already.
        folder.CheckSpace(4 * (stateElements + 2 * parameters) + (1 << 16), fresh ? 3 : 1);
    }
}
