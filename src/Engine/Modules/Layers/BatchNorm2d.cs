using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Normalization;
using Engine.Tensors;

namespace Engine.Modules.Layers;

/// <summary>
/// <c>nn.BatchNorm2d</c>: weight (ones), bias (zeros), running_mean (zeros), running_var (ones)
/// and num_batches_tracked, with momentum 0.1 and eps 1e-5 by default.
/// </summary>
public sealed class BatchNorm2d : Module
{
    private long _batchesTracked;

    /// <summary>Creates the layer for <paramref name="channels"/> channels.</summary>
    public BatchNorm2d(int channels, float eps = 1e-5f, float momentum = 0.1f)
    {
        if (channels <= 0)
            throw new ArgumentException($"BatchNorm2d: channels must be positive, got {channels}.", nameof(channels));
        Channels = channels;
        Eps = eps;
        Momentum = momentum;
        var shape = new Shape(channels);
        Weight = RegisterParameter("weight", shape, new Initializer.Constant(1f));
        Bias = RegisterParameter("bias", shape, new Initializer.Constant(0f));
        RunningMean = RegisterBuffer("running_mean", shape, new Initializer.Constant(0f));
        RunningVar = RegisterBuffer("running_var", shape, new Initializer.Constant(1f));
        RegisterCounter("num_batches_tracked", () => _batchesTracked, v => _batchesTracked = v);
    }

    /// <summary>Channels.</summary>
    public int Channels { get; }
    /// <summary>Added to the variance.</summary>
    public float Eps { get; }
    /// <summary>Running-statistics momentum.</summary>
    public float Momentum { get; }
    /// <summary>gamma.</summary>
    public Parameter Weight { get; }
    /// <summary>beta.</summary>
    public Parameter Bias { get; }
    /// <summary>Running mean.</summary>
    public StateTensor RunningMean { get; }
    /// <summary>Running variance.</summary>
    public StateTensor RunningVar { get; }
    /// <summary>
    /// When set, training statistics span the batches of every rank of this communicator (an
    /// <c>Engine.Distributed.ICommunicator</c>, which <c>DataParallel.SynchronizeBatchNorm</c> sets)
    /// (PyTorch's <c>SyncBatchNorm</c>); null (the default): each rank's own batch. Set it before
    /// the training graph is built.
    /// </summary>
    public IRankGroup? Synchronization { get; set; }

    /// <summary>Training batches seen (PyTorch's num_batches_tracked).</summary>
    public long BatchesTracked => _batchesTracked;

    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        if (input.Shape.Rank != 4 || input.Shape[1] != Channels)
            throw new ArgumentException($"BatchNorm2d: input must be [N, {Channels}, H, W], got {input.Shape}.");
        var g = input.Graph;
        var perChannel = new Shape(Channels);
        var op = new BatchNorm2dNode(g.OpName("batch_norm"), input, Weight, Bias, RunningMean, RunningVar, Momentum, Eps, () => _batchesTracked++, Synchronization);
        return g.Add(op, (input.Shape, ValueKind.Float), (perChannel, ValueKind.Float), (perChannel, ValueKind.Float))[0];
    }
}
