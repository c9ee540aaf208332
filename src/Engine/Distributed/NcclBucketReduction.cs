using Engine.Tensors;
using ILGPU.Runtime.Cuda;

namespace Engine.Distributed;

/// <summary>
/// A bucket's sum over NCCL, in place in device memory: <see cref="Start"/> records an event on
/// the compute stream behind the backward kernels queued so far, makes the communication stream
/// wait for it (on the device: the host does not wait), and queues one <c>ncclAllReduce</c> per part
/// on the communication stream inside one NCCL group (one fused launch for the bucket), then an
/// event that marks the bucket done. <see cref="Test"/> queries that event; <see cref="Wait"/>
/// polls it up to the timeout, so the optimiser's kernels, queued after, read the sums.
/// </summary>
internal sealed class NcclBucketReduction : IBucketReduction
{
    private readonly NcclCommunicator _owner;
    private readonly Tensor[] _parts;
    private readonly IntPtr _ready, _done;
    private bool _started, _complete;

    internal NcclBucketReduction(NcclCommunicator owner, IReadOnlyList<Tensor> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
            throw new ArgumentException("A bucket needs at least one tensor.", nameof(parts));
        _owner = owner;
        _parts = [.. parts];
        Count = _parts.Sum(p => p.Numel);
        var api = CudaAPI.CurrentAPI;
        NcclCommunicator.CheckCuda(api.CreateEvent(out _ready, CudaEventFlags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        NcclCommunicator.CheckCuda(api.CreateEvent(out _done, CudaEventFlags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
    }

    /// <inheritdoc/>
    public long Count { get; }

    /// <inheritdoc/>
    public void Start()
    {
        if (_started && !_complete)
            throw new InvalidOperationException("The bucket's previous all-reduce has not completed.");
        var api = CudaAPI.CurrentAPI;
        NcclCommunicator.CheckCuda(api.RecordEvent(_ready, _owner.ComputeStream), "cuEventRecord");
        CudaStreamWait.Wait(_owner.CommunicationStream, _ready);
        var nccl = _owner.Library;
        nccl.GroupStart();
        foreach (var part in _parts)
            _owner.Check(nccl.AllReduceSum(NcclCommunicator.Pointer(part), part.Numel, _owner.Handle, _owner.CommunicationStream), "ncclAllReduce");
        nccl.GroupEnd();
        NcclCommunicator.CheckCuda(api.RecordEvent(_done, _owner.CommunicationStream), "cuEventRecord");
        _started = true;
        _complete = false;
    }

    /// <inheritdoc/>
    public bool Test()
    {
        if (!_started)
            throw new InvalidOperationException("The bucket's all-reduce was not started.");
        return _complete = _complete || _owner.Query(_done);
    }

    /// <inheritdoc/>
    public void Wait() => _owner.WaitUntil(Test, "all-reduce of a gradient bucket");

    /// <summary>Destroys the bucket's events.</summary>
    public void Dispose()
    {
        CudaAPI.CurrentAPI.DestroyEvent(_ready);
        CudaAPI.CurrentAPI.DestroyEvent(_done);
    }
}
