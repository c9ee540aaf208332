using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Optim;
using Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Distributed;

/// <summary>
/// Data-parallel training over a communicator, as PyTorch's <c>DistributedDataParallel</c>: every
/// rank holds a replica of the model, starts from rank 0's parameters and buffers
/// (<see cref="BroadcastState"/>), runs forward and backward on its own shard of each global batch,
/// and before the optimiser's step replaces its gradients by their mean over the ranks
/// (<see cref="AverageGradients"/>), so the replicas take identical steps. With equal shards, the
/// mean of the ranks' mean-loss gradients is the gradient of the mean loss over the global batch:
/// N ranks at batch B step as one process at batch N·B (up to float rounding), exactly so with
/// synchronised batch norm (<see cref="SynchronizeBatchNorm"/>) or without batch norm.
/// <para>
/// The gradients (the optimiser's flat runs, in order) and the step's loss travel in buckets of
/// at most <see cref="BucketBytes"/>, all-reduced one after the other in a fixed order. The MPI
/// backend stages them through host memory after the backward pass, one device read and one write
/// per step; a device-side backend (NCCL) would all-reduce each bucket in place as soon as the
/// backward pass has produced it.
/// </para>
/// </summary>
public sealed class DataParallel
{
    /// <summary>PyTorch's default bucket size (25 MiB).</summary>
    public const long DefaultBucketBytes = 25L << 20;

    private readonly Optimizer _optimizer;
    private readonly Module _model;
    private readonly float[] _host;
    private readonly List<(int Start, int Length)> _buckets = [];

    /// <summary>Wraps a model and its optimiser; the model must be initialised and the optimiser built over it.</summary>
    public DataParallel(ICommunicator communicator, Module model, Optimizer optimizer, long bucketBytes = DefaultBucketBytes)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (bucketBytes < sizeof(float))
            throw new ArgumentException($"DataParallel: the bucket size must be at least {sizeof(float)} bytes, got {bucketBytes}.", nameof(bucketBytes));
        Communicator = communicator;
        _model = model;
        _optimizer = optimizer;
        BucketBytes = bucketBytes;
        long gradients = optimizer.Runs.Sum(r => (long)r.Length);
        _host = new float[checked((int)(gradients + 2))]; // every gradient, the loss, and the stop flag
        int perBucket = (int)Math.Min(bucketBytes / sizeof(float), int.MaxValue);
        for (int start = 0; start < _host.Length; start += perBucket)
            _buckets.Add((start, Math.Min(perBucket, _host.Length - start)));
    }

    /// <summary>The ranks.</summary>
    public ICommunicator Communicator { get; }

    /// <summary>Most bytes one all-reduce carries.</summary>
    public long BucketBytes { get; }

    /// <summary>Number of all-reduces a step makes.</summary>
    public int BucketCount => _buckets.Count;

    /// <summary>Values one step all-reduces (every gradient element, the loss and the stop flag).</summary>
    public long ValuesPerStep => _host.Length;

    /// <summary>Steps whose gradients were averaged so far.</summary>
    public long Exchanges { get; private set; }

    /// <summary>Time spent in <see cref="AverageGradients"/> so far (device reads and writes, the all-reduces, waiting for the slowest rank).</summary>
    public TimeSpan ExchangeTime { get; private set; }

    /// <summary>Gives every <see cref="BatchNorm2d"/> of <paramref name="model"/> statistics over all ranks (before its training graph is built).</summary>
    public static int SynchronizeBatchNorm(Module model, ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(model);
        int count = 0;
        foreach (var norm in model.Descendants().OfType<BatchNorm2d>())
        {
            norm.Synchronization = communicator;
            count++;
        }
        return count;
    }

    /// <summary>Copies rank 0's parameters and buffers (running statistics) into every rank's replica.</summary>
    public void BroadcastState()
    {
        foreach (var (_, state) in _model.NamedState())
            Communicator.Broadcast(state.Value, 0);
    }

    /// <summary>
    /// Copies rank 0's buffers (batch norm's running statistics, which each rank otherwise moves
    /// with its own batches) into every rank's replica, as DDP's <c>broadcast_buffers</c> does:
    /// call it before evaluating or saving, so every rank evaluates, and every checkpoint holds, the
    /// replica of rank 0.
    /// </summary>
    public void BroadcastBuffers()
    {
        foreach (var (_, state) in _model.NamedState())
        {
            if (state is not Graph.Parameter)
                Communicator.Broadcast(state.Value, 0);
        }
    }

    /// <summary>
    /// After the backward pass: every gradient, and <paramref name="loss"/> (a device scalar), are
    /// replaced by their mean over the ranks, bucket by bucket in a fixed order; afterwards every
    /// rank holds the same gradients (the same bits) and the loss of the global batch. The same
    /// exchange carries <paramref name="stopRequested"/> (a signal that reached some ranks), and
    /// the result says whether any rank asked to stop, so that all stop at the same step.
    /// </summary>
    public bool AverageGradients(Tensor loss, bool stopRequested = false)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.Numel != 1)
            throw new ArgumentException($"DataParallel: the loss must be a scalar, got {loss.Shape}.", nameof(loss));
        var device = _optimizer.Device;
        device.Synchronize();
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int at = 0;
        foreach (var run in _optimizer.Runs)
        {
            run.Grads.CopyToCPU(_host.AsSpan(at, run.Length));
            at += run.Length;
        }
        loss.CopyTo(_host.AsSpan(at, 1));
        _host[at + 1] = stopRequested ? 1f : 0f;
        float scale = 1f / Communicator.Size;
        foreach (var (start, length) in _buckets)
        {
            var bucket = _host.AsSpan(start, length);
            Communicator.AllReduceSum(bucket);
            foreach (ref float v in bucket)
                v *= scale;
        }
        at = 0;
        foreach (var run in _optimizer.Runs)
        {
            run.Grads.CopyFromCPU(_host.AsSpan(at, run.Length));
            at += run.Length;
        }
        loss.CopyFrom(_host.AsSpan(at, 1));
        ExchangeTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Exchanges++;
        return _host[at + 1] > 0f;
    }

    /// <summary>
    /// Checks that every rank's parameters and buffers are the same bits as rank 0's (a SHA-256 of
    /// them, gathered); throws naming the first rank whose replica differs. Cheap next to an epoch.
    /// </summary>
    public void CheckReplicasAgree(string when)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, state) in _model.NamedState())
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            hash.AppendData(MemoryMarshal.AsBytes(state.Value.ToArray().AsSpan()));
        }
        byte[] mine = hash.GetHashAndReset();
        byte[] all = Communicator.AllGather(mine);
        for (int r = 1; r < Communicator.Size; r++)
        {
            if (!all.AsSpan(r * mine.Length, mine.Length).SequenceEqual(all.AsSpan(0, mine.Length)))
                throw new CommunicatorException($"the replicas diverged {when}: rank {r}'s weights differ from rank 0's.");
        }
    }
}
