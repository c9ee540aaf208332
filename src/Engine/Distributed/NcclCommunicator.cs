using System.Diagnostics;
using System.Runtime.InteropServices;
using Engine.Devices;
using Engine.Tensors;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Engine.Distributed;

/// <summary>
/// <see cref="ICommunicator"/> over NCCL for ranks that each drive one CUDA device: device tensors
/// are reduced and broadcast GPU to GPU by NCCL (NVLink, PCIe, InfiniBand), with no host copy; the
/// small host-side exchanges (the loss, flags, hashes, barriers) and the start-up go through the
/// MPI communicator that started the ranks. Rank 0 makes NCCL's unique id and MPI broadcasts it
/// (the usual bootstrap), then every rank joins with <c>ncclCommInitRank</c>. Blocking calls run on
/// the device's own stream, in order with its kernels; a bucket reduction
/// (<see cref="PrepareAllReduceSum"/>) runs on a second stream that waits, on the device, for the
/// compute stream's event, so it overlaps the rest of the backward pass. Every wait polls against
/// the MPI communicator's timeout and NCCL's asynchronous error, and aborts the NCCL communicator
/// instead of hanging. NCCL is loaded only here (see <see cref="NcclLibrary"/>).
/// </summary>
public sealed class NcclCommunicator : ICommunicator
{
    private readonly MpiCommunicator? _bootstrap; // null: one rank alone (StartAlone), whose host-side exchanges are its own values
    private readonly TimeSpan _timeout;
    private readonly NcclLibrary _nccl;
    private readonly CudaAccelerator _cuda;
    private readonly CudaStream _communication;
    private IntPtr _comm;

    private NcclCommunicator(MpiCommunicator? bootstrap, TimeSpan timeout, NcclLibrary nccl, CudaAccelerator cuda, IntPtr comm)
    {
        _bootstrap = bootstrap;
        _timeout = timeout;
        _nccl = nccl;
        _cuda = cuda;
        _comm = comm;
        _communication = cuda.CreateStream(StreamFlags.CU_STREAM_NON_BLOCKING);
        Description = $"{nccl.Version()} on {cuda.Name}, " + (bootstrap is null ? "one rank" : $"started over {bootstrap.Description}");
    }

    /// <summary>The environment variable naming the NCCL library to load (default: libnccl.so.2 on the loader's path).</summary>
    public const string LibraryVariable = NcclLibrary.LibraryVariable;

    /// <summary>
    /// Checks that NCCL can be loaded, before anything else is done: a missing library is one line
    /// that names it and how to get it.
    /// </summary>
    /// <exception cref="CommunicatorException">No NCCL library, or one without NCCL's functions.</exception>
    public static void CheckAvailable() => NcclLibrary.Load();

    /// <summary>
    /// Joins the ranks of <paramref name="bootstrap"/> in an NCCL communicator on
    /// <paramref name="device"/> (each rank its own CUDA device).
    /// </summary>
    /// <exception cref="CommunicatorException">NCCL is missing or fails to start.</exception>
    /// <exception cref="ArgumentException">The device is not a CUDA device.</exception>
    public static NcclCommunicator Start(MpiCommunicator bootstrap, ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        ArgumentNullException.ThrowIfNull(device);
        var (nccl, cuda) = Open(device);
        var id = bootstrap.Rank == 0 ? nccl.UniqueId() : default;
        bootstrap.Broadcast(MemoryMarshal.CreateSpan(ref id[0], NcclUniqueId.Length), 0);
        cuda.Bind(); // NCCL's CUDA runtime calls use the context current on this thread: ILGPU's
        return new NcclCommunicator(bootstrap, bootstrap.Timeout, nccl, cuda, nccl.InitRank(bootstrap.Size, id, bootstrap.Rank));
    }

    /// <summary>
    /// An NCCL communicator of one rank on <paramref name="device"/>, without MPI: the GPU check's
    /// smoke test of the binding (start-up, streams, events, groups) where no MPI is installed.
    /// </summary>
    /// <exception cref="CommunicatorException">NCCL is missing or fails to start.</exception>
    /// <exception cref="ArgumentException">The device is not a CUDA device.</exception>
    public static NcclCommunicator StartAlone(ComputeDevice device, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(device);
        var (nccl, cuda) = Open(device);
        var id = nccl.UniqueId();
        cuda.Bind();
        return new NcclCommunicator(null, timeout, nccl, cuda, nccl.InitRank(1, id, 0));
    }

    private static (NcclLibrary Nccl, CudaAccelerator Cuda) Open(ComputeDevice device)
    {
        var nccl = NcclLibrary.Load();
        return device.Accelerator is CudaAccelerator cuda
            ? (nccl, cuda)
            : throw new ArgumentException($"NCCL moves CUDA device memory, but this rank runs on {device.Info.Spec} ({device.Info.Name}): use a CUDA device, or MPI.");
    }

    /// <inheritdoc/>
    public int Rank => _bootstrap?.Rank ?? 0;

    /// <inheritdoc/>
    public int Size => _bootstrap?.Size ?? 1;

    /// <inheritdoc/>
    public string Description { get; }

    /// <summary>The device's own stream, where the engine's kernels run.</summary>
    internal IntPtr ComputeStream => ((CudaStream)_cuda.DefaultStream).StreamPtr;

    /// <summary>The stream bucket reductions run on.</summary>
    internal IntPtr CommunicationStream => _communication.StreamPtr;

    /// <summary>The NCCL communicator's handle.</summary>
    internal IntPtr Handle => _comm;

    internal NcclLibrary Library => _nccl;

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) => _bootstrap?.AllReduceSum(values); // alone: the sum is the values

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values) => _bootstrap?.AllReduceSum(values);

    /// <inheritdoc/>
    public void AllReduceSum(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Check(_nccl.AllReduceSum(Pointer(tensor), tensor.Numel, _comm, ComputeStream), "ncclAllReduce");
        WaitFor(ComputeStream, "all-reduce");
    }

    /// <inheritdoc/>
    public IBucketReduction PrepareAllReduceSum(IReadOnlyList<Tensor> parts) => new NcclBucketReduction(this, parts);

    /// <inheritdoc/>
    public void Broadcast(Span<float> values, int root)
    {
        if (_bootstrap is not null)
            _bootstrap.Broadcast(values, root);
        else if (root != 0)
            throw new ArgumentOutOfRangeException(nameof(root), root, "The root must be a rank in [0, 1).");
    }

    /// <inheritdoc/>
    public void Broadcast(Tensor tensor, int root)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (root < 0 || root >= Size)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"The root must be a rank in [0, {Size}).");
        Check(_nccl.Broadcast(Pointer(tensor), tensor.Numel, root, _comm, ComputeStream), "ncclBroadcast");
        WaitFor(ComputeStream, "broadcast");
    }

    /// <inheritdoc/>
    public byte[] AllGather(ReadOnlySpan<byte> local) => _bootstrap?.AllGather(local) ?? local.ToArray();

    /// <inheritdoc/>
    public void Barrier() => _bootstrap?.Barrier();

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        if (_comm != IntPtr.Zero)
            _nccl.Abort(_comm); // NCCL's kernels may wait for a peer that is gone: end them first
        _comm = IntPtr.Zero;
        if (_bootstrap is not null)
            _bootstrap.Abort(exitCode);
        else
            Environment.Exit(exitCode);
    }

    /// <summary>Destroys the NCCL communicator (the MPI communicator stays its owner's).</summary>
    public void Dispose()
    {
        if (_comm != IntPtr.Zero)
            _nccl.Destroy(_comm);
        _comm = IntPtr.Zero;
        _communication.Dispose();
    }

    /// <summary>The device address of a tensor's first element.</summary>
    internal static IntPtr Pointer(Tensor tensor) => tensor.View.LoadEffectiveAddressAsPtr();

    /// <summary>Throws for a failed NCCL call, naming it.</summary>
    internal void Check(int code, string call)
    {
        if (code != NcclLibrary.Success)
            throw new CommunicatorException($"rank {Rank} of {Size}: {call} failed ({_nccl.ErrorText(code)}): a rank has probably stopped.");
    }

    /// <summary>
    /// Waits until the work queued on <paramref name="stream"/> so far has run (an event, polled),
    /// or NCCL reports an error, or the timeout passes; the last two abort the NCCL communicator,
    /// whose kernels would otherwise wait for a lost peer forever.
    /// </summary>
    internal void WaitFor(IntPtr stream, string what)
    {
        var api = CudaAPI.CurrentAPI;
        IntPtr done;
        CheckCuda(api.CreateEvent(out done, CudaEventFlags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        try
        {
            CheckCuda(api.RecordEvent(done, stream), "cuEventRecord");
            WaitUntil(() => Query(done), what);
        }
        finally
        {
            api.DestroyEvent(done);
        }
    }

    /// <summary>Whether an event has been reached; an NCCL error seen meanwhile throws.</summary>
    internal bool Query(IntPtr cudaEvent)
    {
        var result = CudaAPI.CurrentAPI.QueryEvent(cudaEvent);
        if (result == CudaError.CUDA_SUCCESS)
            return true;
        if (result != CudaError.CUDA_ERROR_NOT_READY)
            throw new CommunicatorException($"rank {Rank} of {Size}: CUDA error {result} while NCCL ran.");
        int error = _nccl.AsyncError(_comm);
        return error == NcclLibrary.Success ? false : throw Lost($"NCCL reported {_nccl.ErrorText(error)}");
    }

    /// <summary>Polls <paramref name="done"/> as the MPI communicator polls its collectives, up to its timeout.</summary>
    internal void WaitUntil(Func<bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > _timeout)
                throw Lost($"the {what} got no answer from every rank within {_timeout.TotalSeconds:0} s: a rank has stopped or hangs");
            if (clock.ElapsedMilliseconds < 20)
                Thread.SpinWait(64);
            else
                Thread.Sleep(1);
        }
    }

    private CommunicatorException Lost(string why)
    {
        _nccl.Abort(_comm);
        _comm = IntPtr.Zero;
        return new CommunicatorException($"rank {Rank} of {Size}: {why}.");
    }

    internal static void CheckCuda(CudaError result, string call)
    {
        if (result != CudaError.CUDA_SUCCESS)
            throw new CommunicatorException($"{call} failed: CUDA error {result}.");
    }
}
