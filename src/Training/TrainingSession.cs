using System.Globalization;
using Engine.Checkpoints;
using Engine.Data;
using Engine.Devices;
using Engine.Distributed;
using Engine.Modules;
using Engine.Ops.Random;
using Engine.Optim;

namespace Engine.Training;

/// <summary>
/// A prepared run of a <see cref="Trainer"/> (<see cref="Trainer.Prepare"/>): checked, its model
/// initialised or resumed, its training graph compiled, its optimiser and schedule built; it says
/// where the run stands before <see cref="Run"/> trains it. It owns the optimiser; the task and
/// the model stay the caller's.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly Trainer _trainer;
    private readonly IDataset _test;
    private readonly RunFolder? _folder;
    private readonly IBatchLoader _loader;
    private readonly LearningRateSchedule? _schedule;
    private readonly ReduceLROnPlateau? _plateau;
    private bool _ran;

    internal TrainingSession(Trainer trainer, IDataset train, IDataset test, RunFolder? folder)
    {
        _trainer = trainer;
        _test = test;
        _folder = folder;
        var task = trainer.Task;
        var options = trainer.Options;
        var communicator = trainer.Communicator;
        var model = task.Model;
        int rank = communicator?.Rank ?? 0, ranks = communicator?.Size ?? 1;
        task.Communicator = communicator;
        if (folder is not null && !folder.IsPrepared && folder.Resumed is null && rank == 0)
            folder.PrepareNew(overwrite: false);
        var resumed = folder?.Resumed;

        int batch = options.BatchSize;
        if ((long)batch * ranks > train.Count)
            throw new ArgumentException(ranks == 1 ? $"BatchSize {batch} is larger than the {train.Count} training images."
                : $"BatchSize {batch} on each of {ranks} ranks ({(long)batch * ranks} images a step) is more than the {train.Count} training images.");
        if (test.Count < ranks)
            throw new ArgumentException($"{test.Count} test images cannot give each of {ranks} ranks one to evaluate.");
        if ((test.Channels, test.Height, test.Width) != (train.Channels, train.Height, train.Width))
            throw new ArgumentException($"The training images are {train.Channels}x{train.Height}x{train.Width} but the test images {test.Channels}x{test.Height}x{test.Width}.");
        if (!TrainingData.Shapes(train).SequenceEqual(TrainingData.Shapes(test)))
            throw new ArgumentException($"The training images come at {Sizes(train)} but the test images at {Sizes(test)}: evaluate at the sizes trained on.");
        if (train is MultiSizeDataset && !task.EvaluatesSeveralSizes)
            throw new ArgumentException($"Training at several image sizes ({Sizes(train)}) is for classification, which reports each size; a {task.Kind} task trains at one.");
        _loader = TrainingData.Loader(train, batch, shuffle: true, seed: options.Seed, dropLast: true, augmentation: options.Augmentation, rank: rank, ranks: ranks);
        int epochs = options.Epochs, steps = _loader.BatchesPerEpoch / options.Accumulate;
        if (steps == 0)
            throw new ArgumentException($"Accumulate {options.Accumulate} batches of {batch}{(ranks > 1 ? $" on each of {ranks} ranks" : "")} takes {(long)options.Accumulate * batch * ranks} images a step, more than the {train.Count} training images.");
        if ((long)epochs * steps > int.MaxValue)
            throw new ArgumentException($"{epochs} epochs of {steps} steps make {(long)epochs * steps} steps, more than the schedule counts ({int.MaxValue}).");
        if (folder is not null)
        {
            RunFolder.CheckLogsFit(options, steps);
            if (trainer.ModelOptions is { } modelOptions && Models.ModelLimits.Problem(modelOptions) is string beyond)
                throw new ArgumentException($"The model's options are beyond what a checkpoint can record ({beyond}): its checkpoints could not be read back.");
        }
        var history = new List<string>();
        var data = DataFingerprint.Of(train, test);
        if (resumed is not null)
            history.AddRange(CheckResume(resumed, trainer, steps, ranks, data));

        if (communicator is not null && options.SyncBatchNorm)
            DataParallel.SynchronizeBatchNorm(model, communicator);
        var device = task.Device;
        bool initialised = IsInitialized(model);
        Memory = PlanMemory(trainer, train, test, steps);
        CheckFits(model, device, Memory, folder, fresh: resumed is null);
        if (!initialised)
            model.Initialize(device, RandomStreams.Derive(options.Seed, RandomStream.Initialization));
        task.CompileTraining();

        var parameters = model.NamedParameters().Select(p => p.Parameter).ToList();
        IReadOnlyList<ParameterGroup> groups = options.NoDecayOnBiasesAndNorms ? ParameterGroup.NoDecayOnBiasesAndNorms(parameters) : [new ParameterGroup(parameters)];
        float lr = options.LearningRate;
        Optimizer = options.Optimizer == OptimizerKind.Sgd
            ? new Sgd(groups, lr, momentum: 0.9f, weightDecay: options.WeightDecay)
            : new AdamW(groups, lr, weightDecay: options.WeightDecay);
        Optimizer.MaxGradNorm = options.ClipGradNorm;
        try
        {
            _schedule = options.Schedule switch
            {
                ScheduleKind.OneCycle => new OneCycleLR(Optimizer, lr, epochs * steps),
                ScheduleKind.Cosine => new CosineAnnealingLR(Optimizer, epochs * steps, lr / 100),
                _ => null,
            };
            _plateau = options.Schedule == ScheduleKind.Plateau
                ? new ReduceLROnPlateau(Optimizer, task.HigherIsBetter ? PlateauMode.Max : PlateauMode.Min)
                : null;
            var state = resumed ?? new CheckpointInfo
            {
                Task = task.Kind, Model = trainer.ModelOptions, Options = options, Application = trainer.Application, StepsPerEpoch = steps,
                Metric = task.MetricName, HigherIsBetter = task.HigherIsBetter, Ranks = ranks,
                RunId = Guid.NewGuid().ToString("N"), Data = data,
            };
            if (resumed is not null)
            {
                TrainingCheckpoint.Load(folder!.LastPath, model, Optimizer);
                if (Optimizer.StepCount != resumed.GlobalStep)
                    throw new InvalidDataException($"'{folder.LastPath}' holds an optimiser after {Optimizer.StepCount} steps but run information for {resumed.GlobalStep}.");
                task.NoiseOffset = resumed.NoiseOffset;
                // A run from before run ids and fingerprints were kept takes them from here on.
                state = resumed with
                {
                    Options = options, Application = trainer.Application ?? resumed.Application, History = [.. resumed.History, .. history],
                    RunId = resumed.RunId ?? Guid.NewGuid().ToString("N"), Data = resumed.Data ?? data,
                };
            }
            _schedule?.Resume(checked((int)state.GlobalStep));
            if (_plateau is not null && state.Plateau is { } plateauState)
                _plateau.Resume(resumed!.Options.LearningRate == lr ? plateauState : plateauState with { LearningRate = lr }); // a new rate restarts from it
            if (communicator is not null)
            {
                RankAgreement.Check(communicator, options, trainer.ModelOptions?.ToString() ?? Describe(model), data, state.GlobalStep);
                DataParallel = new DataParallel(communicator, model, Optimizer, trainer.GradientBucketBytes, trainer.OverlapGradientExchange ? task.TrainingGraph : null);
                DataParallel.BroadcastState();
            }
            State = state;
            Changes = history;
        }
        catch
        {
            DataParallel?.Dispose();
            Optimizer.Dispose();
            throw;
        }
    }

    /// <summary>The run's memory plan, made before anything was allocated: what a step and an evaluation hold at their peak.</summary>
    public StepMemory Memory { get; }

    /// <summary>The trainer this session runs.</summary>
    public Trainer Trainer => _trainer;

    /// <summary>Where the run starts: a new run's empty state, or what the resumed checkpoint records.</summary>
    public CheckpointInfo State { get; }

    /// <summary>Whether it continues a checkpoint.</summary>
    public bool IsResumed => _folder?.Resumed is not null;

    /// <summary>How the options changed on this resume (the history's new lines; empty for a new run).</summary>
    public IReadOnlyList<string> Changes { get; }

    /// <summary>Optimiser steps in an epoch.</summary>
    public int StepsPerEpoch => _loader.BatchesPerEpoch / _trainer.Options.Accumulate;

    /// <summary>The run's optimiser (AdamW or SGD over the model's parameters).</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The gradient exchange of a data-parallel run (null for one process): its timings after <see cref="Run"/>.</summary>
    public DataParallel? DataParallel { get; }

    /// <summary>With a launch profile running (<see cref="ComputeDevice.ProfileVariable"/>): after <see cref="Run"/>, the profile of the run's second step.</summary>
    public LaunchSummary? StepProfile { get; private set; }

    /// <summary>
    /// Trains from <see cref="State"/> to the last epoch, a stop asked by a callback after an
    /// epoch, or <paramref name="cancellationToken"/> (after the current step: with a run folder,
    /// at a committed checkpoint). A session runs once.
    /// </summary>
    /// <exception cref="InvalidDataException">A loss or gradient went non-finite; the message says which and where.</exception>
    public TrainingResult Run(CancellationToken cancellationToken = default)
    {
        if (_ran)
            throw new InvalidOperationException("A training session runs once; prepare another to train again.");
        _ran = true;
        var task = _trainer.Task;
        var callbacks = _trainer.Callbacks.ToList();
        foreach (var callback in callbacks)
            callback.OnTrainBegin(this);
        var loop = new TrainingLoop(task, task.Model, Optimizer, _schedule, _plateau, _loader, _folder, cancellationToken, _trainer.Options, callbacks, DataParallel);
        var evaluation = State.Epoch >= _trainer.Options.Epochs && State.Step == 0 ? task.Evaluate(_test, _loader.BatchSize) : null;
        var (state, last, interrupted, stoppedEarly) = loop.Run(State, _test, evaluation);
        StepProfile = loop.StepProfile;
        int? restored = null;
        if (_trainer.Options.RestoreBestWeights && !interrupted && state.BestEpoch is int best and > 0 && best != state.Epoch)
        {
            // The best epoch's weights: kept by this process, or, when it came before a resume, the best checkpoint's.
            if (loop.BestWeights is { } weights)
                StateDict.Load(task.Model, weights, source: $"the weights of epoch {best}");
            else if (_folder is not null && File.Exists(_folder.BestPath))
                StateDict.Load(task.Model, _folder.BestPath);
            else
                throw new InvalidDataException($"RestoreBestWeights: the best epoch ({best}) came before this process resumed the run, and its checkpoint is not in the run folder.");
            last = task.Evaluate(_test, _loader.BatchSize);
            restored = best;
        }
        var result = new TrainingResult(last, interrupted, stoppedEarly, state) { RestoredEpoch = restored };
        foreach (var callback in callbacks)
            callback.OnTrainEnd(result);
        return result;
    }

    /// <summary>Releases the optimiser's state and the gradient exchange's buffers.</summary>
    public void Dispose()
    {
        DataParallel?.Dispose();
        Optimizer.Dispose();
    }

    /// <summary>
    /// Checks a checkpoint against this run (its task, ranks, steps per epoch, model and the
    /// options that define the run, <see cref="ResumeRules"/>) and returns how the options that may change did.
    /// </summary>
    private static List<string> CheckResume(CheckpointInfo resumed, Trainer trainer, int steps, int ranks, DataFingerprint data)
    {
        var options = trainer.Options;
        string position = resumed.Position;
        if (resumed.Task != trainer.Task.Kind)
            throw new ArgumentException($"The checkpoint is a {resumed.Task} run, not {trainer.Task.Kind}.");
        if (resumed.Ranks != ranks)
            throw new ArgumentException($"The checkpoint was trained on {resumed.Ranks} ranks, each with its shard of the data; resume it on as many, not {ranks}.");
        if (resumed.Data?.Difference(data) is string different)
            throw new InvalidDataException($"The run was trained on other data: {different}. Resuming would make it another run.");
        ResumeRules.CheckFixed(options, resumed.Options, setsSteps: true); // before the steps they change
        if (resumed.StepsPerEpoch != steps)
            throw new InvalidDataException($"The checkpoint took {resumed.StepsPerEpoch} steps per epoch, these options and data {steps}.");
        if (trainer.ModelOptions is { } model && resumed.Model is { } recorded && recorded != model)
            throw new InvalidDataException($"The checkpoint holds {recorded} but the model is {model}.");
        int done = resumed.Epoch + (resumed.Step > 0 ? 1 : 0);
        if (options.Epochs < done)
            throw new ArgumentException($"The run is {position}; Epochs {options.Epochs} is fewer than the epochs it has begun ({done}).");
        ResumeRules.CheckFixed(options, resumed.Options, setsSteps: false);
        return trainer.ResumeChanges is { } given ? [.. given] : ResumeRules.Changes(options, resumed.Options, position);
    }

    /// <summary>
    /// The run's memory plan: the weights (values and buffers, and unless the model holds its
    /// weights already, gradients and the optimiser's two moments), the training graph's buffers,
    /// and the largest of what is allocated for a while beside them: an op's workspace, the step
    /// guard's scratch, or the evaluation's graph; and the loop's host memory.
    /// </summary>
    internal static StepMemory PlanMemory(Trainer trainer, IDataset train, IDataset test, int steps)
    {
        var task = trainer.Task;
        int batch = trainer.Options.BatchSize;
        var plans = task.BuildTraining(train, batch, RandomStreams.Derive(trainer.Options.Seed, RandomStream.Noise));
        long evaluation = TrainingData.Views(test).Max(view => task.EvaluationBytes(view, batch)); // one size at a time
        return Plan(task.Model, plans, task.MaxCompiledPlans, evaluation, TrainingTask.HostBytes(train, batch, TrainingLoop.QueuedSteps(steps) * trainer.Options.Accumulate), IsInitialized(task.Model));
    }

    private static bool IsInitialized(Module model) => model.NamedState().Any() && model.NamedState().All(s => s.State.IsInitialized);

    // With several sizes: the graphs compiled at once hold their buffers together (the largest that many), one op's workspace at a time.
    private static StepMemory Plan(Module model, IReadOnlyList<Graph.MemoryPlan> plans, int compiled, long evaluation, long host, bool initialised)
    {
        long planned = plans.Select(p => p.PlannedBytes).OrderDescending().Take(compiled).Sum();
        long parameters = model.ParameterCount;
        long stateElements = model.NamedState().Sum(s => s.State.Shape.Numel);
        // Values and buffers; gradients, exp_avg, exp_avg_sq; and the loop's scalars (the loss ring, the guard's flags).
        long weights = (initialised ? 4 * 2 * parameters : 4 * (stateElements + 3 * parameters)) + LoopScalarBytes;
        long workspace = Math.Max(Math.Max(plans.Max(p => p.WorkspaceBytes), Optimizer.StepGuardWorkspace(parameters)), evaluation);
        return new StepMemory(weights, planned, workspace, host);
    }

    // The loss ring of TrainingLoop (ReadEvery + 1 floats) and the optimiser's scale, halt flag, step and norm, rounded up.
    private const long LoopScalarBytes = 256;

    /// <summary>
    /// Before anything is allocated: the plan's device bytes against what the device has, and the
    /// checkpoints against the disk; each refusal gives both numbers.
    /// </summary>
    private static void CheckFits(Module model, ComputeDevice device, StepMemory memory, RunFolder? folder, bool fresh)
    {
        long free = device.FreeMemory;
        if (memory.DeviceBytes > free)
            throw new OutOfDeviceMemoryException(device.Info.Spec, $"the training step ({memory})", memory.DeviceBytes, free);
        long parameters = model.ParameterCount;
        long stateElements = model.NamedState().Sum(s => s.State.Shape.Numel);
        // A new run needs room for last, best and a temporary; a resumed one has the two already.
        folder?.CheckSpace(4 * (stateElements + 2 * parameters) + (1 << 16), fresh ? 3 : 1);
    }

    private static string Sizes(IDataset data) => string.Join(", ", TrainingData.Shapes(data).Select(s => $"{s.Height}x{s.Width}"));

    // A model without options, for the ranks' agreement: its tensors' names and shapes.
    private static string Describe(Module model) => string.Join(";", model.NamedState().Select(s => $"{s.Name}{s.State.Shape}"));
}
