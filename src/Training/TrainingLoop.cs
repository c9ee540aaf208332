using Engine.Checkpoints;
using Engine.Data;
using Engine.Devices;
using Engine.Distributed;
using Engine.Modules;
using Engine.Ops;
using Engine.Optim;
using Engine.Tensors;

namespace Engine.Training;

/// <summary>
/// The epochs and steps of one run: with a run folder, a commit after every epoch (the best one
/// too when the metric improved) and every <see cref="TrainingOptions.SaveEvery"/> steps; a stop at
/// a committed checkpoint when cancellation is requested, or after an epoch when a callback asks. A step queues its work and does not wait for it: the loss stays on
/// the device (copied into a ring of <see cref="ReadEvery"/> slots) and the optimiser's step guard
/// halts every update from the first non-finite loss or gradient on, so the host reads the device
/// once every <see cref="ReadEvery"/> steps (and before any commit or evaluation), reports those
/// steps' losses, and on a halt replays the bad step to say what went wrong, its weights untouched.
/// In a data-parallel run (<paramref name="parallel"/>) each step averages the gradients and the
/// loss over the ranks before the update, the ranks agree at that exchange on whether to stop,
/// check after every epoch that their replicas are still identical, and only rank 0 commits.
/// The rate follows <paramref name="schedule"/> after every step (none: constant), or
/// <paramref name="plateau"/> after every epoch's evaluation; every <see cref="TrainingOptions.LogEvery"/>-th step's
/// loss and every epoch's summary go into the committed state (<see cref="RunLog"/>). Progress goes
/// to the callbacks.
/// </summary>
internal sealed class TrainingLoop(TrainingTask task, Module model, Optimizer optimizer, LearningRateSchedule? schedule, ReduceLROnPlateau? plateau, IBatchLoader loader,
    RunFolder? folder, CancellationToken cancellation, TrainingOptions options, IReadOnlyList<TrainingCallback> callbacks, DataParallel? parallel = null)
{
    private bool _stopAgreed;

    // Whether to stop at the next commit: the signal itself, or what the ranks agreed at the last exchange.
    private bool StopRequested => parallel is null ? cancellation.IsCancellationRequested : _stopAgreed;

    private bool Commits => folder is not null && (parallel is null || parallel.Communicator.Rank == 0);

    /// <summary>Most steps between reads of the losses from the device (fewer when an epoch has under 160 steps, so the progress lines, ten an epoch, come on time).</summary>
    internal const int ReadEvery = 16;

    /// <summary>Steps queued between reads in an epoch of <paramref name="steps"/> steps (each keeps its batch, to replay it).</summary>
    internal static int QueuedSteps(int steps) => Math.Clamp(steps / 10, 1, ReadEvery);

    private float _previousLoss = float.NaN;
    private int _stepsRun;
    private float _lastRate;

    // The run's log (RunLog), carried into every committed state.
    private readonly List<EpochRecord> _epochLog = [];
    private readonly List<StepRecord> _stepLog = [];

    /// <summary>With <see cref="TrainingOptions.RestoreBestWeights"/>: the state of the best epoch this process trained (null when none was better than a resumed run's best).</summary>
    public Dictionary<string, SafeTensor>? BestWeights { get; private set; }

    /// <summary>With a launch profile running (<c>ENGINE_PROFILE=1</c>): the profile of this run's second step, the first after the kernels are loaded.</summary>
    public LaunchSummary? StepProfile { get; private set; }

    // A queued step: its batches (several with accumulation), its position, and the noise counter it started from (to replay it).
    private readonly record struct QueuedStep(Batch[] Batches, int Step, long GlobalStep, ulong NoiseOffset, float Rate);

    /// <summary>Multiplies every parameter's gradient by <paramref name="factor"/> (on the device, queued).</summary>
    private void ScaleGradients(float factor)
    {
        foreach (var parameter in optimizer.Parameters)
            TensorOps.Scale(parameter.Grad, factor);
    }

    /// <summary>
    /// Trains from <paramref name="state"/> to the last epoch (or a stop at a commit), evaluating on
    /// <paramref name="test"/> after every epoch; returns the last committed state, the last
    /// evaluation, whether cancellation stopped it and whether a callback did after an epoch.
    /// </summary>
    public (CheckpointInfo State, Evaluation? Evaluation, bool Interrupted, bool StoppedEarly) Run(CheckpointInfo state, IDataset test, Evaluation? evaluation)
    {
        int accumulate = options.Accumulate;
        int epochs = options.Epochs, steps = loader.BatchesPerEpoch / accumulate, batch = loader.BatchSize;
        int imagesPerStep = batch * accumulate * (parallel?.Communicator.Size ?? 1); // the progress counts every rank's images
        // Slots 0 .. ReadEvery - 1: the queued steps' losses; the last: the step guard's halt flag.
        using var losses = Tensor.Zeros(task.Device, ReadEvery + 1);
        // With accumulation: the step's loss, the mean of its batches' (a device scalar).
        using var meanLoss = accumulate > 1 ? Tensor.Zeros(task.Device) : null;
        var batches = new List<Batch>(accumulate);
        var queued = new List<QueuedStep>(ReadEvery);
        int readEvery = QueuedSteps(steps); // at least as often as the progress lines
        _epochLog.AddRange(state.EpochLog);
        _stepLog.AddRange(state.StepLog);
        for (int epoch = state.Epoch; epoch < epochs; epoch++)
        {
            var epochClock = System.Diagnostics.Stopwatch.StartNew();
            int step = epoch == state.Epoch ? state.Step : 0;
            double lossSum = epoch == state.Epoch ? state.EpochLossSum : 0;
            var start = new EpochStart(epoch + 1, epochs, steps, step, lossSum);
            foreach (var callback in callbacks)
                callback.OnEpochBegin(start);
            LaunchProfile? profile = null;
            ulong noiseOffset = 0;
            foreach (var b in loader.Epoch(epoch, step * accumulate))
            {
                if (batches.Count == 0)
                {
                    noiseOffset = task.NoiseOffset;
                    profile = ++_stepsRun == 2 ? task.Device.Profile : null;
                    profile?.Clear();
                    optimizer.ZeroGrad();
                }
                batches.Add(b.Copy()); // the loader reuses b
                if (batches.Count == accumulate)
                    parallel?.BeginStep(); // buckets start exchanging as the last batch's backward pass completes them
                var loss = task.Step(b);
                if (meanLoss is not null)
                {
                    if (batches.Count == 1)
                        TensorOps.Fill(meanLoss, 0f);
                    TensorOps.Axpy(1f / accumulate, loss, meanLoss); // before the next batch's step overwrites the loss
                    if (batches.Count < accumulate)
                        continue;
                    loss = meanLoss;
                }
                var entry = new QueuedStep([.. batches], step, state.GlobalStep, noiseOffset, optimizer.LearningRate);
                batches.Clear();
                if (parallel is not null)
                    _stopAgreed = parallel.AverageGradients(loss, cancellation.IsCancellationRequested);
                // The sum of N batch means, over N: the mean over their N x B images. After the exchange,
                // which an overlapped all-reduce may still be reading from the gradients until it ends.
                if (accumulate > 1)
                    ScaleGradients(1f / accumulate);
                using (var slot = losses.Slice(loss.Shape, queued.Count))
                    TensorOps.Copy(loss, slot);
                optimizer.GuardFinite(loss, checked((int)entry.GlobalStep));
                optimizer.Step();
                schedule?.Step();
                queued.Add(entry);
                step++;
                state = state with { Epoch = epoch, Step = step, NoiseOffset = task.NoiseOffset };
                bool last = step == steps;
                bool save = !last && folder is not null && options.SaveEvery is int every && state.GlobalStep % every == 0;
                if (last || save || queued.Count == readEvery || StopRequested)
                    lossSum = Read(queued, losses, lossSum, epoch, imagesPerStep);
                bool stop = !last && StopRequested; // raised while reporting, too
                if (stop && queued.Count > 0)
                    lossSum = Read(queued, losses, lossSum, epoch, imagesPerStep);
                state = state with { EpochLossSum = lossSum };
                if (profile is not null)
                    StepProfile = profile.Report();
                if (last)
                    break; // the epoch's end commits with its evaluation
                if (stop || save)
                    parallel?.BroadcastBuffers();
                if (stop || save)
                    state = WithLog(state);
                if ((stop || save) && Commits)
                    Commit(state, isBest: false);
                if (stop)
                    return (state, evaluation, true, false);
            }
            parallel?.BroadcastBuffers(); // every rank evaluates (and rank 0 saves) rank 0's replica
            evaluation = task.Evaluate(test, batch);
            bool isBest = state.Best is not double best || (state.HigherIsBetter ? evaluation.Value > best : evaluation.Value < best);
            var record = new EpochRecord(epoch + 1, state.GlobalStep, lossSum / steps, evaluation.Value, _lastRate, epochClock.Elapsed.TotalSeconds);
            _epochLog.Add(record);
            if (isBest && options.RestoreBestWeights)
                BestWeights = StateDict.Collect(model).ToDictionary(t => t.Name); // on the host: the device holds one copy of the weights
            plateau?.Step(evaluation.Value); // after the epoch's rate was logged: it sets the next epoch's
            state = WithLog(state) with
            {
                Plateau = plateau?.State,
                Epoch = epoch + 1, Step = 0, EpochLossSum = 0, NoiseOffset = task.NoiseOffset, Value = evaluation.Value,
                Best = isBest ? evaluation.Value : state.Best, BestEpoch = isBest ? epoch + 1 : state.BestEpoch,
            };
            var end = new EpochEnd(record, evaluation, isBest, state);
            foreach (var callback in callbacks)
                callback.OnEpochEnd(end);
            bool stopEarly = end.StopRequested && epoch + 1 < epochs;
            if (parallel is not null)
            {
                Span<double> votes = [stopEarly ? 1 : 0];
                parallel.Communicator.AllReduceSum(votes); // the ranks stop together if any callback asked
                stopEarly = votes[0] > 0;
            }
            parallel?.CheckReplicasAgree($"after epoch {epoch + 1}");
            if (Commits)
                Commit(state, isBest);
            if (stopEarly)
                return (state, evaluation, false, true);
            if (StopRequested && epoch + 1 < epochs)
                return (state, evaluation, true, false);
        }
        return (state, evaluation, false, false);
    }

    private void Commit(CheckpointInfo state, bool isBest)
    {
        folder!.Commit(model, optimizer, state, isBest);
        var committed = new CheckpointCommitted(folder, state, isBest);
        foreach (var callback in callbacks)
            callback.OnCheckpoint(committed);
    }

    private CheckpointInfo WithLog(CheckpointInfo state) => state with { EpochLog = _epochLog.ToArray(), StepLog = _stepLog.ToArray() };

    /// <summary>
    /// Reads the queued steps' losses and the halt flag in one copy; reports each loss in order and
    /// returns the epoch's loss sum; on a halt, replays the first bad step and throws what went wrong.
    /// </summary>
    private double Read(List<QueuedStep> queued, Tensor losses, double lossSum, int epoch, int images)
    {
        using (var flag = losses.Slice(new Shape(), ReadEvery))
            TensorOps.Copy(optimizer.HaltFlag, flag);
        float[] values = losses.ToArray();
        int? halted = values[ReadEvery] != 0f ? optimizer.HaltedStep() : null;
        for (int i = 0; i < queued.Count; i++)
        {
            if (queued[i].GlobalStep == halted)
                Replay(queued[i], epoch);
            float loss = values[i];
            lossSum += loss;
            _lastRate = queued[i].Rate;
            if ((queued[i].GlobalStep + 1) % options.LogEvery == 0)
                _stepLog.Add(new StepRecord(queued[i].GlobalStep + 1, epoch + 1, loss, queued[i].Rate));
            _previousLoss = loss;
            var end = new StepEnd(epoch + 1, queued[i].Step + 1, queued[i].GlobalStep + 1, loss, queued[i].Rate, images);
            foreach (var callback in callbacks)
                callback.OnStepEnd(end);
        }
        queued.Clear();
        return lossSum;
    }

    /// <summary>
    /// Runs a step the guard halted at again, from the weights it started from (no update has
    /// happened since) and its noise counter, to name what was not finite; always throws.
    /// </summary>
    private void Replay(QueuedStep bad, int epoch)
    {
        task.NoiseOffset = bad.NoiseOffset;
        optimizer.ZeroGrad();
        float loss = 0;
        foreach (var batch in bad.Batches)
        {
            float batchLoss = task.Step(batch).ToArray()[0];
            if (!float.IsFinite(batchLoss) || bad.Batches.Length == 1)
                CheckFinite(batchLoss, batch, epoch, bad.Step, bad.GlobalStep); // a non-finite loss always throws
            loss += batchLoss / bad.Batches.Length;
        }
        if (bad.Batches.Length > 1)
        {
            ScaleGradients(1f / bad.Batches.Length);
            CheckFinite(loss, bad.Batches[^1], epoch, bad.Step, bad.GlobalStep);
        }
        throw new InvalidDataException($"epoch {epoch + 1} step {bad.Step + 1}: a loss or gradient was not finite (loss {loss}); lower the learning rate (now {options.LearningRate}).");
    }

    /// <summary>
    /// Stops the run when the loss or a gradient is not finite, before the update spreads it,
    /// naming what went wrong: the images, the weights, the gradients, or a diverging loss
    /// (the only case where a lower rate is the likely cure).
    /// </summary>
    private void CheckFinite(float loss, Batch batch, int epoch, int step, long globalStep)
    {
        string where = $"epoch {epoch + 1} step {step + 1}";
        if (float.IsFinite(loss))
        {
            if (float.IsFinite(optimizer.GradientSquaredNorm()))
                return;
            var badGradients = NonFinite(p => p.Grad);
            if (badGradients.Count == 0)
                return; // only the sum of squares overflowed
            throw new InvalidDataException($"{where}: the gradient of {Names(badGradients)} is not finite (loss {loss:0.####})" +
                (globalStep > 0 ? $"; if it keeps happening, lower the learning rate (now {options.LearningRate})." : "."));
        }
        int badImage = Array.FindIndex(batch.Images, v => !float.IsFinite(v));
        if (badImage >= 0)
            throw new InvalidDataException($"{where}: the loss is {loss} because the batch's images hold a non-finite value ({batch.Images[badImage]} in image {batch.Indices[badImage / (batch.Images.Length / batch.Indices.Length)]}).");
        var badWeights = NonFinite(p => p.Value);
        if (badWeights.Count > 0)
            throw new InvalidDataException($"{where}: the loss is {loss}: the weights {Names(badWeights)} are not finite" +
                (globalStep > 0 ? $" after {globalStep} updates; lower the learning rate (now {options.LearningRate})." : "."));
        if (globalStep == 0)
            throw new InvalidDataException($"{where}: the loss of the first step is {loss} with finite weights and images: the model overflows on this data.");
        throw new InvalidDataException($"{where}: the loss diverged to {loss} (the step before: {_previousLoss:0.####}); lower the learning rate (now {options.LearningRate}).");
    }

    private List<string> NonFinite(Func<Graph.Parameter, Tensors.Tensor> tensor) =>
        model.NamedParameters().Where(p => tensor(p.Parameter).ToArray().Any(v => !float.IsFinite(v))).Select(p => p.Name).ToList();

    private static string Names(List<string> names) => names.Count == 1 ? names[0] : $"{names[0]} and {names.Count - 1} more";
}
