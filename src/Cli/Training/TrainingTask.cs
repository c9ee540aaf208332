using Engine.Data;
using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Tensors;

namespace Engine.Cli.Training;

/// <summary>An evaluation's headline number and a one-line description of all it measured.</summary>
/// <param name="Value">The headline metric (accuracy, Dice, negative ELBO).</param>
/// <param name="Text">E.g. <c>accuracy 91.30% (9130/10000)</c>.</param>
/// <param name="Headline">The metric alone, for a progress bar: <c>accuracy 91.30%</c>.</param>
internal sealed record Evaluation(double Value, string Text, string Headline);

/// <summary>
/// What differs between training a classifier, a segmenter and a VAE: the compiled training graph
/// (images and targets in, a scalar loss out) and the evaluation. The trainer owns the loop,
/// the optimiser, checkpoints and progress.
/// </summary>
internal abstract class TrainingTask : IDisposable
{
    private GraphBuilder? _graph;
    private CompiledGraph? _train;
    private Node? _x, _targets, _loss;

    protected TrainingTask(Module model, ComputeDevice device)
    {
        Model = model;
        Device = device;
    }

    /// <summary>The model (initialised by the trainer).</summary>
    public Module Model { get; }

    /// <summary>The device everything runs on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Name of the headline metric, as in the checkpoint's metadata.</summary>
    public abstract string MetricName { get; }

    /// <summary>Whether a higher metric is better (accuracy, Dice) or a lower one (a loss).</summary>
    public abstract bool HigherIsBetter { get; }

    /// <summary>
    /// Builds (symbolically: nothing is allocated, the model need not be initialised) the training
    /// graph for batches of <paramref name="batchSize"/> shaped like <paramref name="data"/>, with its
    /// random ops keyed by <paramref name="noiseKey"/>; returns the bytes its compiled plan will take.
    /// </summary>
    public long BuildTraining(ImageDataset data, int batchSize, ulong noiseKey)
    {
        var g = new GraphBuilder(Device, training: true, seed: noiseKey);
        _x = g.Input("x", batchSize, data.Channels, data.Height, data.Width);
        _targets = data.Labels is not null ? g.IntInput("y", batchSize) : data.Masks is not null ? g.IntInput("y", batchSize, data.Height, data.Width) : null;
        _loss = TrainingLoss(_x, _targets);
        _graph = g;
        return CompiledGraph.PlanMemory(g, _loss, [_loss]).PlannedBytes;
    }

    /// <summary>Compiles the graph <see cref="BuildTraining"/> built (the model must be initialised by now).</summary>
    public void CompileTraining() =>
        _train = (_graph ?? throw new InvalidOperationException("BuildTraining first.")).Compile(_loss!);

    /// <summary>The training graph's random-generator counter (its whole state with the key): saved in checkpoints, set on resume.</summary>
    public ulong NoiseOffset
    {
        get => (_graph ?? throw new InvalidOperationException("BuildTraining first.")).Generator.Offset;
        set => (_graph ?? throw new InvalidOperationException("BuildTraining first.")).Generator.Offset = value;
    }

    /// <summary>
    /// Forward and backward on one batch (gradients accumulate), queued without a wait: the batch
    /// is copied into one of two page-locked staging buffers (the other may still feed the device)
    /// and uploaded from it; returns the loss as a device scalar (valid until the next step).
    /// </summary>
    public Tensor Step(Batch batch)
    {
        var train = _train ?? throw new InvalidOperationException("CompileTraining first.");
        if (batch.Images.Length != _x!.Shape.Numel)
            throw new ArgumentException($"A batch of {batch.Images.Length} values for a graph that takes {_x.Shape}.");
        _staging ??= [new Staging(Device, _x.Shape.Numel, _targets?.Shape.Numel ?? 0), new Staging(Device, _x.Shape.Numel, _targets?.Shape.Numel ?? 0)];
        var staging = _staging[_nextStaging];
        _nextStaging = 1 - _nextStaging;
        staging.WaitUntilFree(); // its upload two steps ago is done (the step's one wait)
        batch.Images.CopyTo(staging.Images.Span);
        train.Value(_x!).UploadAsync(staging.Images);
        if (_targets is not null)
        {
            batch.Targets.CopyTo(staging.Targets!.Span);
            train.IntValue(_targets).UploadAsync(staging.Targets);
        }
        staging.Uploaded = Device.Fence();
        train.Forward();
        train.Backward();
        return train.Value(_loss!);
    }

    private Staging[]? _staging;
    private int _nextStaging;

    // Page-locked host memory for one batch's upload, and the fence behind its last upload.
    private sealed class Staging(ComputeDevice device, long images, long targets) : IDisposable
    {
        public PinnedBuffer<float> Images { get; } = device.AllocatePinned<float>(images);
        public PinnedBuffer<int>? Targets { get; } = targets > 0 ? device.AllocatePinned<int>(targets) : null;
        public DeviceFence? Uploaded { get; set; }

        public void WaitUntilFree()
        {
            Uploaded?.Wait();
            Uploaded?.Dispose();
            Uploaded = null;
        }

        public void Dispose()
        {
            Uploaded?.Dispose();
            Images.Dispose();
            Targets?.Dispose();
        }
    }

    /// <summary>The scalar training loss of the model on <paramref name="x"/> (and targets, if any).</summary>
    protected abstract Node TrainingLoss(Node x, Node? targets);

    /// <summary>Evaluates the model on <paramref name="data"/> in evaluation mode.</summary>
    public abstract Evaluation Evaluate(ImageDataset data, int batchSize);

    /// <summary>
    /// Runs the model in evaluation mode over <paramref name="data"/> and returns the arg-max
    /// class of every output position: one per image for logits <c>[N, classes]</c>, one per pixel
    /// (<c>[N, H, W]</c>) for logits <c>[N, classes, H, W]</c>. <paramref name="check"/> may refuse
    /// the traced logits node before anything is compiled.
    /// </summary>
    protected int[] PredictClasses(ImageDataset data, int batchSize, Action<Node>? check = null)
    {
        batchSize = Math.Min(batchSize, data.Count);
        var g = new GraphBuilder(Device, training: false);
        var x = g.Input("x", batchSize, data.Channels, data.Height, data.Width);
        var logits = Model.Call(x);
        check?.Invoke(logits);
        using var plan = g.CompileInference(logits);
        int classes = logits.Shape[1], positions = logits.Shape.Rank == 4 ? logits.Shape[2] * logits.Shape[3] : 1;
        var predicted = new int[data.Count * positions];
        foreach (var batch in new DataLoader(data, batchSize).Epoch(0))
        {
            plan.Value(x).CopyFrom(batch.Images);
            plan.Forward();
            float[] scores = plan.Value(logits).ToArray();
            for (int i = 0; i < batch.Count; i++)
            {
                for (int p = 0; p < positions; p++)
                {
                    int best = 0;
                    for (int c = 1; c < classes; c++)
                        best = scores[(i * classes + c) * positions + p] > scores[(i * classes + best) * positions + p] ? c : best;
                    predicted[batch.Indices[i] * positions + p] = best;
                }
            }
        }
        return predicted;
    }

    /// <inheritdoc/>
    public virtual void Dispose()
    {
        _train?.Dispose();
        foreach (var staging in _staging ?? [])
            staging.Dispose();
    }
}
