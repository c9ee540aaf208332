using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Optim;
using Engine.Tensors;

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
/// The gradients (the model's flat gradient buffer, see <c>Module.Initialize</c>) are all-reduced
/// in buckets and scaled by 1/N on the device; the step's loss and a stop flag travel in one more
/// exchange of two values. Given the training graph, the buckets follow the order in which the
/// backward pass makes gradients final (<see cref="CompiledGraph.GradientOrder"/>; the first of at
/// most 1 MiB, the others of at most <see cref="BucketBytes"/>, as DDP's), and each bucket's
/// all-reduce starts, without blocking, the moment the backward pass has completed its last
/// gradient (<see cref="BeginStep"/>); <see cref="AverageGradients"/> then waits for them. Without
/// the graph, the buffer is cut into buckets of <see cref="BucketBytes"/> in its own order and
/// reduced after the backward pass. Both give each gradient the same bits: an element's sum does
/// not depend on the bucket it travels in (MPI's reductions sum each element of a message alike).
/// </para>
/// </summary>
public sealed partial class DataParallel : IDisposable
{
    /// <summary>PyTorch's default bucket size (25 MiB).</summary>
    public const long DefaultBucketBytes = 25L << 20;

    private readonly Module _model;
    private readonly Tensor _gradients;
    private readonly float[] _scalars = new float[2]; // the loss and the stop flag
    private readonly List<(long Start, int Length)> _buckets = [];

    /// <summary>
    /// Wraps a model and its optimiser; the model must be initialised and the optimiser built over
    /// it. With <paramref name="overlapWith"/>, the model's compiled training graph, each bucket's
    /// all-reduce starts during that graph's backward pass (see the class summary).
    /// </summary>
    public DataParallel(ICommunicator communicator, Module model, Optimizer optimizer, long bucketBytes = DefaultBucketBytes, CompiledGraph? overlapWith = null)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (bucketBytes < sizeof(float))
            throw new ArgumentException($"DataParallel: the bucket size must be at least {sizeof(float)} bytes, got {bucketBytes}.", nameof(bucketBytes));
        _gradients = model.FlatGradients ?? throw new ArgumentException("DataParallel: initialise the model (Module.Initialize) first: its gradients must lie in one flat buffer.", nameof(model));
        if (optimizer.Parameters.Any(p => !p.Grad.SharesStorageWith(_gradients)))
            throw new ArgumentException("DataParallel: the optimiser updates parameters of another model.", nameof(optimizer));
        Communicator = communicator;
        _model = model;
        BucketBytes = bucketBytes;
        long perBucket = Math.Min(bucketBytes / sizeof(float), int.MaxValue);
        for (long start = 0; start < _gradients.Numel; start += perBucket)
            _buckets.Add((start, (int)Math.Min(perBucket, _gradients.Numel - start)));
        if (overlapWith is not null)
            Overlap(overlapWith, perBucket);
    }

    /// <summary>The ranks.</summary>
    public ICommunicator Communicator { get; }

    /// <summary>Most bytes one all-reduce carries.</summary>
    public long BucketBytes { get; }

    /// <summary>Number of gradient buckets a step all-reduces.</summary>
    public int BucketCount => _overlapped?.Count ?? _buckets.Count;

    /// <summary>Values one step all-reduces (every gradient element, the loss and the stop flag).</summary>
    public long ValuesPerStep => _gradients.Numel + _scalars.Length;

    /// <summary>Steps whose gradients were averaged so far.</summary>
    public long Exchanges { get; private set; }

    /// <summary>
    /// Time spent in <see cref="AverageGradients"/> so far, after the backward pass: the exchange that
    /// was not hidden behind it (device reads and writes, the all-reduces, waiting for the slowest rank).
    /// </summary>
    public TimeSpan ExchangeTime { get; private set; }

    /// <summary>
    /// Of <see cref="ExchangeTime"/>, the time spent on the gradient buckets themselves: their
    /// all-reduces after the backward pass, or the wait for those started during it (without the
    /// scaling, and without the loss's and stop flag's exchange).
    /// </summary>
    public TimeSpan GradientWaitTime { get; private set; }

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
        _gradients.Device.Synchronize(); // the backward pass's end; the clock measures the exchange alone
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        float scale = 1f / Communicator.Size;
        if (_overlapped is not null)
        {
            FinishOverlapped();
            GradientWaitTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
            Ops.TensorOps.Scale(_gradients, scale); // element-wise: the same bits as a scale per bucket
        }
        else
        {
            foreach (var (start, length) in _buckets)
            {
                using var bucket = _gradients.Slice(new Shape(length), start);
                long reduction = System.Diagnostics.Stopwatch.GetTimestamp();
                Communicator.AllReduceSum(bucket);
                GradientWaitTime += System.Diagnostics.Stopwatch.GetElapsedTime(reduction);
                Ops.TensorOps.Scale(bucket, scale);
            }
        }
        loss.CopyTo(_scalars.AsSpan(0, 1));
        _scalars[1] = stopRequested ? 1f : 0f;
        Communicator.AllReduceSum(_scalars);
        _scalars[0] *= scale;
        loss.CopyFrom(_scalars.AsSpan(0, 1));
        ExchangeTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Exchanges++;
        return _scalars[1] > 0f;
    }

    /// <summary>
    /// Checks that every rank's parameters and buffers are the same bits as rank 0's (a SHA-256 of
    /// them, gathered); throws <see cref="InvalidDataException"/> naming the first rank whose
    /// replica differs. Cheap next to an epoch.
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
                throw new InvalidDataException($"the replicas diverged {when}: rank {r}'s weights differ from rank 0's."); // a determinism fault, not a lost peer
        }
    }
}
