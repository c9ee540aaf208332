using System.Diagnostics;
using Engine.Tensors;

namespace Engine.Distributed;

/// <summary>
/// <see cref="ICommunicator"/> over MPI's <c>MPI_COMM_WORLD</c> (a library of the MPICH ABI, see
/// <see cref="MpiLibrary"/>), for processes started by <c>mpiexec</c>. Each collective is started
/// non-blocking and polled against a deadline (<see cref="Timeout"/>), so a rank that died or hangs
/// turns into a <see cref="CommunicatorException"/> on the others instead of a hang; MPI's errors
/// return as codes rather than aborting. Device tensors are staged through host memory.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    /// <summary>
    /// Most bytes one MPI call carries; longer buffers go in pieces, in order. Measured here
    /// (bench --allreduce, MPICH 4.0.2 over UCX, 2 ranks on one machine): 3.2 GB/s at 16 MiB, then
    /// 0.19 GB/s from 32 MiB on, so pieces of 16 MiB keep every size on the fast path.
    /// </summary>
    internal const int MaxBytes = 16 << 20;

    private readonly MpiLibrary _mpi;
    private float[] _staging = [];
    private bool _disposed;

    private MpiCommunicator(MpiLibrary mpi, TimeSpan timeout)
    {
        _mpi = mpi;
        Timeout = timeout;
        Rank = mpi.Rank();
        Size = mpi.Size();
        Description = $"MPI ({System.Text.RegularExpressions.Regex.Replace(mpi.Version(), @"\s*Version:\s*", " ")})";
    }

    /// <summary>
    /// Whether this process was started by an MPI launcher of the MPICH family (Hydra's
    /// <c>mpiexec</c>, Slurm's PMI) as one of several ranks: <c>PMI_SIZE</c> above 1.
    /// </summary>
    public static bool Launched => int.TryParse(Environment.GetEnvironmentVariable("PMI_SIZE"), out int size) && size > 1;

    /// <summary>
    /// Loads MPI, initialises it (once per process) and joins <c>MPI_COMM_WORLD</c>; a collective
    /// that has not completed after <paramref name="timeout"/> throws.
    /// </summary>
    public static MpiCommunicator Start(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
            throw new ArgumentException($"The collectives' timeout must be positive, got {timeout}.");
        var mpi = MpiLibrary.Load();
        if (mpi.Initialized())
            throw new InvalidOperationException("MPI is already initialised in this process: start one communicator per process.");
        mpi.InitThread();
        return new MpiCommunicator(mpi, timeout);
    }

    /// <summary>
    /// Ends every rank of this launch from a process that cannot take part (a rank whose command
    /// line was refused): it joins MPI, which the other ranks are waiting in, and aborts. Without
    /// an MPI library it returns, and the launcher's own clean-up is all there is.
    /// </summary>
    public static void AbortLaunch(int exitCode)
    {
        MpiLibrary mpi;
        try
        {
            mpi = MpiLibrary.Load();
            if (!mpi.Initialized())
                mpi.InitThread();
        }
        catch (CommunicatorException)
        {
            return;
        }
        Console.Error.Flush();
        mpi.Abort(exitCode);
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public string Description { get; }

    /// <summary>Longest wait for one collective before it counts as failed.</summary>
    public TimeSpan Timeout { get; }

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) =>
        InPieces(values, MpiLibrary.Float, "all-reduce", (void* p, int count, int type, out int request) => _mpi.StartAllReduceSum(p, count, type, out request));

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values) =>
        InPieces(values, MpiLibrary.Double, "all-reduce", (void* p, int count, int type, out int request) => _mpi.StartAllReduceSum(p, count, type, out request));

    /// <inheritdoc/>
    public void AllReduceSum(Tensor tensor)
    {
        var host = Stage(tensor);
        AllReduceSum(host);
        tensor.CopyFrom(host);
    }

    /// <inheritdoc/>
    public IBucketReduction PrepareAllReduceSum(IReadOnlyList<Tensor> parts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new MpiBucketReduction(this, _mpi, parts);
    }

    /// <inheritdoc/>
    public void Broadcast(Span<float> values, int root)
    {
        CheckRoot(root);
        InPieces(values, MpiLibrary.Float, "broadcast", (void* p, int count, int type, out int request) => _mpi.StartBroadcast(p, count, type, root, out request));
    }

    /// <inheritdoc/>
    public void Broadcast(Tensor tensor, int root)
    {
        var host = Stage(tensor);
        Broadcast(host, root);
        if (Rank != root)
            tensor.CopyFrom(host);
    }

    /// <summary>Copies rank <paramref name="root"/>'s bytes into every rank's (NCCL's unique id, which rank 0 makes).</summary>
    internal void Broadcast(Span<byte> values, int root)
    {
        CheckRoot(root);
        InPieces(values, MpiLibrary.Byte, "broadcast", (void* p, int count, int type, out int request) => _mpi.StartBroadcast(p, count, type, root, out request));
    }

    /// <inheritdoc/>
    public byte[] AllGather(ReadOnlySpan<byte> local)
    {
        var all = new byte[checked(local.Length * Size)];
        fixed (byte* send = local)
        fixed (byte* receive = all)
        {
            int code = _mpi.StartAllGather(send, receive, local.Length, out int request);
            Wait(code, ref request, "all-gather");
        }
        return all;
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        int code = _mpi.StartBarrier(out int request);
        Wait(code, ref request, "barrier");
    }

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        _disposed = true;
        _mpi.Abort(exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is for a library that does
    }

    /// <summary>MPI_Finalize (every rank calls it at the end).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _mpi.FinalizeMpi();
    }

    // The tensor's values in a reused host buffer of exactly its length.
    private Span<float> Stage(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        int length = checked((int)tensor.Numel);
        if (_staging.Length < length)
            _staging = new float[length];
        var host = _staging.AsSpan(0, length);
        tensor.CopyTo(host);
        return host;
    }

    private void CheckRoot(int root)
    {
        if (root < 0 || root >= Size)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"The root must be a rank in [0, {Size}).");
    }

    // Starts a collective on one piece of a buffer: its code, and the request to poll.
    private delegate int StartPiece(void* values, int count, int type, out int request);

    // The collective over values in pieces of at most MaxBytes, one after the other, each waited for.
    private void InPieces<T>(Span<T> values, int type, string what, StartPiece start) where T : unmanaged
    {
        int maxCount = MaxBytes / sizeof(T);
        for (int at = 0; at < values.Length; at += maxCount)
        {
            var piece = values.Slice(at, Math.Min(maxCount, values.Length - at));
            fixed (T* p = piece)
            {
                int code = start(p, piece.Length, type, out int request);
                Wait(code, ref request, what);
            }
        }
    }

    // Polls a started collective until it completes, fails, or outlives the timeout.
    private void Wait(int startCode, ref int request, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (startCode != MpiLibrary.Success)
            throw Failed(what, startCode);
        int r = request;
        WaitUntil(() => Test(ref r, what), what);
        request = r;
    }

    /// <summary>MPI_Test on a started collective: whether it has completed; a failure throws.</summary>
    internal bool Test(ref int request, string what)
    {
        bool done = _mpi.Test(ref request, out int code);
        return code == MpiLibrary.Success ? done : throw Failed(what, code);
    }

    /// <summary>
    /// Calls <paramref name="done"/> (which tests started collectives) until it says so, or throws
    /// once the timeout has passed: spinning for the first milliseconds (a step's all-reduce is
    /// short), then sleeping 1 ms between tests.
    /// </summary>
    internal void WaitUntil(Func<bool> done, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > Timeout)
                throw new CommunicatorException($"rank {Rank} of {Size}: the {what} got no answer from every rank within {Timeout.TotalSeconds:0} s: a rank has stopped or hangs.");
            if (clock.ElapsedMilliseconds < 20)
                Thread.SpinWait(64);
            else
                Thread.Sleep(1);
        }
    }

    /// <summary>The exception for a collective that could not start or failed, with MPI's text for <paramref name="code"/>.</summary>
    internal CommunicatorException Failed(string what, int code) =>
        new($"rank {Rank} of {Size}: the {what} failed ({_mpi.ErrorText(code)}): a rank has probably stopped.");
}
