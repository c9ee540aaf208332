using Engine.Data;
using Engine.Devices;
using Engine.Distributed;
using Engine.Graph;
using Engine.Modules;
using Engine.Tensors;

namespace Engine.Training;

/// <summary>
/// What differs between training a classifier, a segmenter and a VAE: the training loss (images
/// and targets in, a scalar out, compiled into one graph with its backward pass) and the
/// evaluation. The <see cref="Trainer"/> owns the loop, the optimiser, checkpoints and progress. A
/// task of your own overrides <see cref="TrainingLoss"/>, <see cref="Evaluate"/>, the metric's name
/// and direction, and <see cref="Kind"/>.
/// </summary>
public abstract class TrainingTask : IDisposable
{
    private TrainingPlans? _plans;

    /// <summary>A task training <paramref name="model"/> on <paramref name="device"/>.</summary>
    protected TrainingTask(Module model, ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        ObjectDisposedException.ThrowIf(device.IsDisposed, device);
        // A model that holds weights already (fine-tuning) must hold them on this device: said now,
        // with the tensor's path, rather than by the first op of the first step.
        model.EnsureOnIfInitialized(device, $"The {GetType().Name}");
        Model = model;
        Device = device;
    }

    /// <summary>The kind of task, recorded in checkpoints (<see cref="CheckpointInfo.Task"/>).</summary>
    public abstract string Kind { get; }

    /// <summary>The model (initialised by the trainer unless it holds weights already).</summary>
    public Module Model { get; }

    /// <summary>The device everything runs on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>
    /// The ranks of a data-parallel run (null: one process). Evaluations then run on this rank's
    /// share of the data (<see cref="ImageDataset.Shard"/>, <see cref="Subset.Shard"/>) and sum their counts over the ranks, so
    /// every rank reports the metric of the whole dataset.
    /// </summary>
    public ICommunicator? Communicator { get; internal set; }

    /// <summary>This rank's share of <paramref name="data"/> (all of it for one process).</summary>
    protected IDataset Share(IDataset data) => Communicator is { Size: > 1 } c ? TrainingData.Share(data, c.Rank, c.Size) : data;

    /// <summary>Sums <paramref name="values"/> over the ranks (nothing for one process).</summary>
    protected void SumOverRanks(Span<double> values)
    {
        if (Communicator is { Size: > 1 } c)
            c.AllReduceSum(values);
    }

    /// <summary>Name of the headline metric, as in the checkpoint's metadata.</summary>
    public abstract string MetricName { get; }

    /// <summary>Whether a higher metric is better (accuracy, Dice) or a lower one (a loss).</summary>
    public abstract bool HigherIsBetter { get; }

    /// <summary>
    /// Most training graphs compiled at once (default 4): a dataset of several image sizes
    /// (<see cref="MultiSizeDataset"/>) trains with one graph per size, all sharing the model's
    /// parameters and the optimiser's state; beyond this many sizes the least recently used graph is
    /// freed and compiled again when its size comes back. The run's memory plan counts this many.
    /// </summary>
    public int MaxCompiledPlans
    {
        get => _maxCompiledPlans;
        init => _maxCompiledPlans = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxCompiledPlans), $"MaxCompiledPlans must be positive, got {value}.");
    }

    private readonly int _maxCompiledPlans = 4;

    /// <summary>
    /// Whether <see cref="Evaluate"/> reports each size of a <see cref="MultiSizeDataset"/> (classification does);
    /// a task that does not is refused such data before a run starts.
    /// </summary>
    internal virtual bool EvaluatesSeveralSizes => false;

    /// <summary>
    /// Builds (symbolically: nothing is allocated, the model need not be initialised) the training
    /// graph for batches of <paramref name="batchSize"/> shaped like <paramref name="data"/>'s (one per
    /// size of a <see cref="MultiSizeDataset"/>), with its random ops keyed by <paramref name="noiseKey"/>;
    /// returns the memory plan of each, as it will be compiled.
    /// </summary>
    /// <exception cref="ArgumentException">A model that does not take the data's shape, or one of its sizes, named.</exception>
    internal IReadOnlyList<MemoryPlan> BuildTraining(IDataset data, int batchSize, ulong noiseKey)
    {
        _plans?.Dispose(); // a task trained again builds its graphs anew
        _plans = null;
        int targetSize = TrainingData.TargetSize(data);
        _plans = new TrainingPlans(TrainingData.Shapes(data), shape =>
        {
            var g = new GraphBuilder(Device, training: true, seed: noiseKey);
            var x = g.Input("x", batchSize, shape.Channels, shape.Height, shape.Width);
            var targets = targetSize switch
            {
                0 => null,
                1 => g.IntInput("y", batchSize),
                _ => g.IntInput("y", batchSize, shape.Height, shape.Width), // masks
            };
            return new TrainingPlans.Plan(g, x, targets, TrainingLoss(x, targets));
        }, MaxCompiledPlans);
        return [.. _plans.Memory];
    }

    /// <summary>
    /// Device bytes an evaluation of <paramref name="data"/> holds at its peak beside the training
    /// graph (planned symbolically, nothing allocated): its graph's buffers and largest workspace,
    /// and what it counts into. By default the arg-max evaluation's (<see cref="Confusion"/>); a task
    /// evaluating otherwise says what its evaluation holds.
    /// </summary>
    internal virtual long EvaluationBytes(IDataset data, int batchSize)
    {
        var share = Share(data);
        int size = Math.Min(batchSize, share.Count);
        var g = new GraphBuilder(Device, training: false);
        var logits = Model.Call(g.Input("x", size, share.Channels, share.Height, share.Width));
        long positions = logits.Shape.Rank == 4 ? (long)size * logits.Shape[2] * logits.Shape[3] : size;
        long classes = logits.Shape[1];
        return CompiledGraph.PlanMemory(g, null, [logits]).PeakBytes + 4 * positions + 4 * classes * classes; // targets, counts
    }

    /// <summary>The device bytes <see cref="MeanPerImage"/> holds at its peak for the same arguments.</summary>
    internal long MeanPerImageBytes(IDataset all, int batchSize, Func<Node, IReadOnlyList<Node>> build)
    {
        var data = Share(all);
        int size = Enumerable.Range(1, Math.Min(Math.Max(batchSize, 100), data.Count)).Last(b => data.Count % b == 0);
        var g = new GraphBuilder(Device, training: true);
        var scalars = build(g.Input("x", size, data.Channels, data.Height, data.Width));
        return CompiledGraph.PlanMemory(g, null, [.. scalars]).PeakBytes + 4L * (data.Count / size) * scalars.Count;
    }

    /// <summary>
    /// Host bytes the loop keeps for batches of <paramref name="batchSize"/> like <paramref name="data"/>'s:
    /// two page-locked staging buffers each for training and evaluation, the loader's batch, and the
    /// copies of the batches of up to <paramref name="queuedSteps"/> steps queued between reads (kept to replay a bad step);
    /// with several sizes, training staging and a loader's batch for each, the rest at the largest.
    /// </summary>
    internal static long HostBytes(IDataset data, int batchSize, int queuedSteps)
    {
        var views = TrainingData.Views(data);
        long Batch(IDataset view) => 4L * batchSize * (TrainingData.ImageSize(view) + TrainingData.TargetSize(view) + 1); // images, targets, indices
        return views.Sum(v => 3 * Batch(v)) + (2 + queuedSteps) * views.Max(Batch);
    }

    /// <summary>Compiles the graphs <see cref="BuildTraining"/> built, up to <see cref="MaxCompiledPlans"/> (the model must be initialised by now).</summary>
    internal void CompileTraining() => Plans.CompileFirst();

    /// <summary>The compiled training graph of the data's first size (after <see cref="CompileTraining"/>).</summary>
    internal CompiledGraph TrainingGraph => Plans.First;

    /// <summary>The training graphs (after <see cref="BuildTraining"/>).</summary>
    internal TrainingPlans Plans => _plans ?? throw new InvalidOperationException("BuildTraining first.");

    /// <summary>The training graphs' random-generator counter (their whole state with the key): saved in checkpoints, set on resume.</summary>
    internal ulong NoiseOffset
    {
        get => Plans.NoiseOffset;
        set => Plans.NoiseOffset = value;
    }

    /// <summary>
    /// Forward and backward on one batch (gradients accumulate) with the graph of its image shape,
    /// queued without a wait: the batch is copied into one of two page-locked staging buffers (the
    /// other may still feed the device) and uploaded from it; returns the loss as a device scalar
    /// (valid until the next step).
    /// </summary>
    internal Tensor Step(Batch batch) => Plans.Step(batch);

    /// <summary>The scalar training loss of the model on <paramref name="x"/> (and targets, if any).</summary>
    protected abstract Node TrainingLoss(Node x, Node? targets);

    /// <summary>
    /// Evaluates the model on <paramref name="data"/> in evaluation mode: in memory, or streamed a
    /// batch at a time (an image folder, a <see cref="TransformedDataset"/>).
    /// </summary>
    public abstract Evaluation Evaluate(IDataset data, int batchSize);

    /// <summary>
    /// The per-image mean over all of <paramref name="all"/> of each scalar <paramref name="build"/>
    /// makes from a batch (each a mean over its batch, as a loss is). This rank's share runs in full
    /// batches (the largest up to <c>max(batchSize, 100)</c> that divides it) through a graph in
    /// training mode keyed by <paramref name="key"/>, so its random ops draw as in training, but
    /// reproducibly; each batch's values stay on the device, read once at the end, and the sums are
    /// added over the ranks.
    /// </summary>
    protected double[] MeanPerImage(IDataset all, int batchSize, ulong key, Func<Node, IReadOnlyList<Node>> build)
    {
        ArgumentNullException.ThrowIfNull(all);
        ArgumentNullException.ThrowIfNull(build);
        var data = Share(all);
        int size = Enumerable.Range(1, Math.Min(Math.Max(batchSize, 100), data.Count)).Last(b => data.Count % b == 0);
        var g = new GraphBuilder(Device, training: true, seed: key);
        var x = g.Input("x", size, data.Channels, data.Height, data.Width);
        var scalars = build(x);
        int count = scalars.Count, batches = data.Count / size;
        using var plan = g.CompileInference([.. scalars]);
        using var values = Tensor.Empty(Device, batches, count);
        using var staging = new BatchStaging(Device, x.Shape.Numel, 0);
        int index = 0;
        foreach (var batch in TrainingData.Loader(data, size).Epoch(0))
        {
            staging.Upload(batch, plan.Value(x), null);
            plan.Forward();
            for (int column = 0; column < count; column++)
            {
                using var slot = values.Slice(new Shape(), index * count + column);
                Ops.TensorOps.Copy(plan.Value(scalars[column]), slot);
            }
            index++;
        }
        float[] host = values.ToArray();
        var sums = new double[count]; // each scalar summed over images
        for (int b = 0; b < batches; b++)
        {
            for (int k = 0; k < count; k++)
                sums[k] += host[b * count + k] * size;
        }
        SumOverRanks(sums);
        return Array.ConvertAll(sums, sum => sum / all.Count);
    }

    /// <summary>
    /// Runs the model in evaluation mode over <paramref name="data"/> and returns the arg-max
    /// class of every output position: one per image for logits <c>[N, classes]</c>, one per pixel
    /// (<c>[N, H, W]</c>) for logits <c>[N, classes, H, W]</c>. The arg-max runs on the device; each
    /// batch reads back its classes only. <paramref name="check"/> may refuse the traced logits node
    /// before anything is compiled.
    /// </summary>
    protected int[] PredictClasses(IDataset data, int batchSize, Action<Node>? check = null)
    {
        using var run = new EvaluationRun(this, data, batchSize, check, targets: false);
        var predicted = new int[data.Count * run.Positions];
        using var classes = IntTensor.Empty(Device, run.PerPosition);
        var host = new int[classes.Numel];
        foreach (var batch in run.Batches())
        {
            Ops.Metrics.Predictions.ArgMax(run.Logits, classes);
            classes.CopyTo(host);
            for (int i = 0; i < batch.Count; i++)
                Array.Copy(host, i * run.Positions, predicted, (long)batch.Indices[i] * run.Positions, run.Positions);
        }
        return predicted;
    }

    /// <summary>
    /// The confusion matrix of the model's arg-max predictions against the dataset's labels or
    /// masks, counted on the device over every batch and read back once (or whenever the counts
    /// could pass 2^31); in a data-parallel run each rank counts its share and the counts are summed.
    /// </summary>
    protected Ops.Metrics.ConfusionMatrix Confusion(IDataset data, int batchSize, Action<Node>? check = null)
    {
        var local = LocalConfusion(Share(data), batchSize, check);
        if (Communicator is not { Size: > 1 })
            return local;
        var sums = Array.ConvertAll(local.Counts(), v => (double)v); // exact below 2^53
        SumOverRanks(sums);
        var total = new Ops.Metrics.ConfusionMatrix(local.Classes);
        total.Add(Array.ConvertAll(sums, v => (long)v));
        return total;
    }

    private Ops.Metrics.ConfusionMatrix LocalConfusion(IDataset data, int batchSize, Action<Node>? check)
    {
        using var run = new EvaluationRun(this, data, batchSize, check, targets: true);
        var matrix = new Ops.Metrics.ConfusionMatrix(run.Classes);
        using var counts = IntTensor.Zeros(Device, run.Classes, run.Classes);
        long pending = 0, perBatch = (long)run.PerPosition.Numel;
        foreach (var _ in run.Batches())
        {
            if (pending + perBatch > int.MaxValue)
            {
                matrix.Add(counts.ToArray());
                Ops.TensorOps.Fill(counts, 0);
                pending = 0;
            }
            Ops.Metrics.Predictions.AccumulateConfusion(run.Logits, run.Targets!, counts);
            pending += perBatch;
        }
        matrix.Add(counts.ToArray());
        return matrix;
    }

    /// <summary>The model's inference graph over batches of a dataset, uploaded through page-locked staging; padded positions get target -1 (not counted).</summary>
    private sealed class EvaluationRun : IDisposable
    {
        private readonly TrainingTask _task;
        private readonly IDataset _data;
        private readonly CompiledGraph _plan;
        private readonly Node _x;
        private readonly BatchStaging _staging;
        private readonly int _batchSize;

        public EvaluationRun(TrainingTask task, IDataset data, int batchSize, Action<Node>? check, bool targets)
        {
            _task = task;
            _data = data;
            _batchSize = Math.Min(batchSize, data.Count);
            var g = new GraphBuilder(task.Device, training: false);
            _x = g.Input("x", _batchSize, data.Channels, data.Height, data.Width);
            var logits = task.Model.Call(_x);
            check?.Invoke(logits);
            _plan = g.CompileInference(logits);
            Logits = _plan.Value(logits);
            Classes = logits.Shape[1];
            Positions = logits.Shape.Rank == 4 ? logits.Shape[2] * logits.Shape[3] : 1;
            PerPosition = logits.Shape.Rank == 4 ? new Shape(_batchSize, logits.Shape[2], logits.Shape[3]) : new Shape(_batchSize);
            Targets = targets ? IntTensor.Empty(task.Device, PerPosition) : null;
            _staging = new BatchStaging(task.Device, _x.Shape.Numel, targets ? PerPosition.Numel : 0);
        }

        public Tensor Logits { get; }
        public IntTensor? Targets { get; }
        public int Classes { get; }
        public int Positions { get; }
        public Shape PerPosition { get; }

        /// <summary>Uploads each batch (and its targets, padding marked -1) and runs the forward pass; yields the host batch.</summary>
        public IEnumerable<Batch> Batches()
        {
            foreach (var batch in TrainingData.Loader(_data, _batchSize).Epoch(0))
            {
                if (Targets is not null)
                    batch.Targets.AsSpan(batch.Count * Positions).Fill(-1); // padding rows repeat real images: do not count them
                _staging.Upload(batch, _plan.Value(_x), Targets);
                _plan.Forward();
                yield return batch;
            }
        }

        public void Dispose()
        {
            _staging.Dispose();
            Targets?.Dispose();
            _plan.Dispose();
        }
    }

    /// <inheritdoc/>
    public virtual void Dispose() => _plans?.Dispose();
}
