using Engine.Tensors;

namespace Engine.Distributed;

/// <summary>
/// A bucket's sum over MPI: <see cref="Start"/> copies the parts into a page-locked host buffer of
/// the bucket's own (waiting for the device to finish writing them) and starts an
/// <c>MPI_Iallreduce</c> on it, in pieces of at most <see cref="MpiCommunicator.MaxBytes"/> as the
/// blocking call sends them; <see cref="Test"/> lets MPI progress (it has no progress thread here,
/// so the backward pass calls it between ops) and copies the sums back once every piece is done.
/// </summary>
internal sealed unsafe class MpiBucketReduction : IBucketReduction
{
    private const string What = "all-reduce of a gradient bucket";

    private readonly MpiCommunicator _communicator;
    private readonly MpiLibrary _mpi;
    private readonly Tensor[] _parts;
    private readonly float[] _host; // pinned: MPI reads and writes it after Start returns
    private readonly int[] _requests;
    private readonly bool[] _pending;
    private bool _started, _done;

    internal MpiBucketReduction(MpiCommunicator communicator, MpiLibrary mpi, IReadOnlyList<Tensor> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
            throw new ArgumentException("A bucket needs at least one tensor.", nameof(parts));
        _communicator = communicator;
        _mpi = mpi;
        _parts = [.. parts];
        Count = _parts.Sum(p => p.Numel);
        _host = GC.AllocateUninitializedArray<float>(checked((int)Count), pinned: true);
        int pieces = (int)((Count * sizeof(float) + MpiCommunicator.MaxBytes - 1) / MpiCommunicator.MaxBytes);
        _requests = new int[pieces];
        _pending = new bool[pieces];
    }

    /// <inheritdoc/>
    public long Count { get; }

    /// <inheritdoc/>
    public void Start()
    {
        if (_started && !_done)
            throw new InvalidOperationException("The bucket's previous all-reduce has not completed.");
        long at = 0;
        foreach (var part in _parts)
        {
            part.CopyTo(_host.AsSpan((int)at, (int)part.Numel));
            at += part.Numel;
        }
        _started = true;
        _done = false;
        int maxCount = MpiCommunicator.MaxBytes / sizeof(float);
        fixed (float* host = _host) // pinned already: the address stays valid after this block
        {
            for (int piece = 0; piece < _requests.Length; piece++)
            {
                int start = piece * maxCount, count = (int)Math.Min(maxCount, Count - start);
                int code = _mpi.StartAllReduceSum(host + start, count, MpiLibrary.Float, out _requests[piece]);
                if (code != MpiLibrary.Success)
                    throw _communicator.Failed(What, code);
                _pending[piece] = true;
            }
        }
    }

    /// <inheritdoc/>
    public bool Test()
    {
        if (!_started)
            throw new InvalidOperationException("The bucket's all-reduce was not started.");
        if (_done)
            return true;
        bool all = true;
        for (int piece = 0; piece < _requests.Length; piece++)
        {
            if (_pending[piece])
                _pending[piece] = !_communicator.Test(ref _requests[piece], What);
            all &= !_pending[piece];
        }
        if (!all)
            return false;
        long at = 0;
        foreach (var part in _parts)
        {
            part.CopyFrom(_host.AsSpan((int)at, (int)part.Numel));
            at += part.Numel;
        }
        _done = true;
        return true;
    }

    /// <inheritdoc/>
    public void Wait() => _communicator.WaitUntil(Test, What);

    /// <summary>Drops the host buffer with this object; a started sum must have completed (MPI still writes it otherwise).</summary>
    public void Dispose()
    {
    }
}
