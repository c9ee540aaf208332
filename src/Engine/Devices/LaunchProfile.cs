namespace Engine.Devices;

/// <summary>
/// What a stretch of work asked of a device, counted as it is queued: kernel launches with the
/// work-items each launch asks for (the logical size, as a GPU would run it: one work-item per
/// element for element-wise kernels, the threads of every group for grouped kernels), the
/// floating-point operations of the launches that declare them (the GEMMs, which hold nearly all of
/// a network's arithmetic), bytes copied between host and device, and synchronisations (explicit
/// waits and copies to the host, which wait for every queued launch). Start one with
/// <see cref="ComputeDevice.StartProfile"/>, or for a whole process with
/// <c>ENGINE_PROFILE=1</c>; <see cref="Report"/> summarises it.
/// </summary>
public sealed class LaunchProfile
{
    /// <summary>Work-items a launch needs to fill a data-centre GPU: 132 multiprocessors with two groups of 256 each.</summary>
    public const long FillingWorkItems = 64 * 1024;

    private readonly List<LaunchRecord> _launches = new();

    internal LaunchProfile(bool executeLaunches) => ExecuteLaunches = executeLaunches;

    /// <summary>
    /// False for a dry run: launches are counted but not run, so the launch sequence of a large
    /// step can be profiled on a device too slow to run it (the data are then meaningless, and any
    /// value read back is garbage; nothing the engine launches depends on data it reads back).
    /// </summary>
    public bool ExecuteLaunches { get; }

    /// <summary>Every launch so far, in order.</summary>
    public IReadOnlyList<LaunchRecord> Launches => _launches;

    /// <summary>Bytes copied from the host to the device.</summary>
    public long BytesToDevice { get; private set; }

    /// <summary>Bytes copied from the device to the host.</summary>
    public long BytesToHost { get; private set; }

    /// <summary>Times the host waited for the device (explicit synchronisations and copies to the host).</summary>
    public int Synchronizations { get; private set; }

    internal void RecordLaunch(string kernel, long workItems) => _launches.Add(new LaunchRecord(kernel, workItems, 0));

    /// <summary>Declares the floating-point operations of the launch just recorded (a GEMM's <c>2 M N K batch</c>).</summary>
    internal void AddFlops(double flops)
    {
        if (_launches.Count == 0)
            return;
        var last = _launches[^1];
        _launches[^1] = last with { Flops = last.Flops + flops };
    }

    // A copy from a host span blocks until it is done, behind every queued launch: a synchronisation.
    internal void RecordToDevice(long bytes)
    {
        BytesToDevice += bytes;
        Synchronizations++;
    }

    // A queued upload from page-locked memory: no wait.
    internal void RecordUpload(long bytes) => BytesToDevice += bytes;

    // Copies to the host synchronise first (counted there).
    internal void RecordToHost(long bytes) => BytesToHost += bytes;

    internal void RecordSynchronize() => Synchronizations++;

    /// <summary>Forgets everything counted so far (to profile one step after warm-up steps).</summary>
    public void Clear()
    {
        _launches.Clear();
        BytesToDevice = BytesToHost = 0;
        Synchronizations = 0;
    }

    /// <summary>The summary over everything counted since the start or the last <see cref="Clear"/>.</summary>
    public LaunchSummary Report() => LaunchSummary.Of(this);
}
