using ILGPU;
using ILGPU.Runtime;

namespace Engine.Devices;

/// <summary>
/// One opened accelerator: the ILGPU context and accelerator, the kernels loaded on it, and the
/// device memory the engine has allocated on it. Dispose it to release everything,
/// deterministically; nothing relies on finalizers.
/// </summary>
/// <remarks>
/// Launches are queued in order on the accelerator's default stream; copies to the host wait for
/// them. A device serves one thread at a time: its graphs and ops are not meant to be called
/// concurrently. Concurrent requests go through a <see cref="Inference.Predictor"/>, which takes
/// the device's <see cref="Gate"/> for each request; what else runs on the device from several
/// threads takes the same gate. Each device opened in a process has a name of its own
/// (<see cref="Name"/>: <c>cpu#0</c>, <c>cpu#1</c>), which messages about mixed devices use.
/// </remarks>
public sealed class ComputeDevice : IDisposable
{
    private static readonly Dictionary<string, int> OpenedPerSpec = new();
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly ExecutionPaths _paths;
    private readonly Dictionary<object, Delegate> _kernels = new();
    private readonly Dictionary<object, Delegate> _profiledKernels = new();
    private readonly BufferCache _cache = new();
    private long _liveBuffers;
    private long _liveBytes;
    private long _peakLiveBytes;
    private long _allocations;
    private bool _disposed;
    private readonly object _allocation = new(); // allocations, releases and the idle release of the cache, one at a time
    private readonly Timer _idleTimer;
    private long _lastCacheUse = Environment.TickCount64;

    private ComputeDevice(Context context, Accelerator accelerator, DeviceInfo info)
    {
        _context = context;
        _accelerator = accelerator;
        Info = info;
        _paths = new ExecutionPaths(accelerator.AcceleratorType, info);
        lock (OpenedPerSpec)
        {
            int ordinal = OpenedPerSpec.GetValueOrDefault(info.Spec);
            OpenedPerSpec[info.Spec] = ordinal + 1;
            Name = $"{info.Spec}#{ordinal}";
        }
        CacheLimit = DefaultCacheLimit(info.MemoryBytes);
        _idleTimer = new Timer(_ => ReleaseCacheIfIdle(), null, Timeout.Infinite, Timeout.Infinite);
        if (Environment.GetEnvironmentVariable(ProfileVariable) is "1" or "on" or "true")
            Profile = new LaunchProfile(executeLaunches: true);
    }

    /// <summary>
    /// The cache's default bound: a quarter of the device's memory, at most 1 GiB and at least
    /// 64 MiB. A training step reuses workspaces of tens of MiB; a whole graph released into the
    /// cache (an evaluation's activations) is what would otherwise pile up.
    /// </summary>
    internal static long DefaultCacheLimit(long memoryBytes) => Math.Clamp(memoryBytes / 4, 64L << 20, 1L << 30);

    /// <summary>
    /// This device's name in the process: its spec and the order in which devices of that spec were
    /// opened (<c>cpu#0</c>, <c>cpu#1</c>, <c>cuda:0#0</c>), so that two devices of one kind are told
    /// apart in messages.
    /// </summary>
    public string Name { get; }

    /// <summary>
    /// Taken for each request by every <see cref="Inference.Predictor"/> on this device (and by
    /// code of your own that shares the device between threads): ILGPU's accelerators are not
    /// thread safe, so one request runs on the device at a time, in the order they arrive.
    /// </summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The environment variable that starts a <see cref="LaunchProfile"/> on every device a process opens (<c>1</c>).</summary>
    public const string ProfileVariable = "ENGINE_PROFILE";

    /// <summary>Opens the device named by <c>ENGINE_DEVICE</c>, or the automatic choice when it is unset.</summary>
    public static ComputeDevice OpenDefault() => Open(DeviceSpec.FromEnvironment());

    /// <summary>Opens the device named by a spec: <c>auto</c>, <c>cpu</c>, <c>opencl[:N]</c>, <c>cuda[:N]</c>.</summary>
    /// <exception cref="ArgumentException">The spec cannot be parsed.</exception>
    /// <exception cref="DeviceNotFoundException">No such device; the message lists what is present.</exception>
    public static ComputeDevice Open(string spec) => Open(DeviceSpec.Parse(spec));

    /// <summary>Opens the first usable device of a kind, or the one at <paramref name="index"/>.</summary>
    public static ComputeDevice Open(DeviceKind kind, int? index = null)
    {
        if (index < 0)
            throw new ArgumentOutOfRangeException(nameof(index), index, "Device index must be non-negative.");
        return Open(new DeviceSpec(kind, index));
    }

    /// <summary>Opens the device a spec selects.</summary>
    public static ComputeDevice Open(DeviceSpec spec)
    {
        var context = DeviceCatalog.CreateContext();
        try
        {
            var entry = DeviceCatalog.Select(DeviceCatalog.List(context), spec);
            var accelerator = entry.Device.CreateAccelerator(context);
            return new ComputeDevice(context, accelerator, entry.Info);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Every device ILGPU sees, usable or not, in the order automatic choice prefers kinds.</summary>
    public static IReadOnlyList<DeviceInfo> Enumerate()
    {
        using var context = DeviceCatalog.CreateContext();
        return DeviceCatalog.List(context).Select(e => e.Info).ToList();
    }

    /// <summary>What would be opened for a spec, without opening it.</summary>
    public static DeviceInfo Resolve(DeviceSpec spec)
    {
        using var context = DeviceCatalog.CreateContext();
        return DeviceCatalog.Select(DeviceCatalog.List(context), spec).Info;
    }

    /// <summary>Name, kind, memory, group and warp sizes of this device.</summary>
    public DeviceInfo Info { get; }

    /// <summary>The device's kind.</summary>
    public DeviceKind Kind => Info.Kind;

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Device buffers allocated by the engine on this device and not yet released.</summary>
    public long LiveBufferCount => Interlocked.Read(ref _liveBuffers);

    /// <summary>Bytes in <see cref="LiveBufferCount"/> buffers.</summary>
    public long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>
    /// The most <see cref="LiveBytes"/> since the device was opened or <see cref="ResetPeakLiveBytes"/>
    /// (the allocator's high-water mark, as <c>torch.cuda.max_memory_allocated</c>): what a memory
    /// plan is checked against.
    /// </summary>
    public long PeakLiveBytes => Interlocked.Read(ref _peakLiveBytes);

    /// <summary>Starts <see cref="PeakLiveBytes"/> again from what is live now.</summary>
    public void ResetPeakLiveBytes() => Interlocked.Exchange(ref _peakLiveBytes, LiveBytes);

    /// <summary>Released buffers held for reuse (see <see cref="ReleaseCachedMemory"/>).</summary>
    public long CachedBufferCount => _cache.Count;

    /// <summary>Bytes in <see cref="CachedBufferCount"/> buffers.</summary>
    public long CachedBytes => _cache.Bytes;

    /// <summary>Buffers ever allocated from the accelerator (reuses from the cache are not counted).</summary>
    public long AllocationCount => Interlocked.Read(ref _allocations);

    /// <summary>Whether released buffers are kept for reuse (default true).</summary>
    public bool CachingEnabled { get; set; } = true;

    /// <summary>
    /// Most bytes the cache keeps; beyond it the oldest released buffers are freed. Default: a
    /// quarter of the device's memory, at most 1 GiB (at least 64 MiB).
    /// </summary>
    public long CacheLimit
    {
        get => _cacheLimit;
        set
        {
            if (value < 0)
                throw new ArgumentOutOfRangeException(nameof(value), value, "The cache limit must be at least 0 bytes.");
            _cacheLimit = value;
        }
    }

    private long _cacheLimit;

    /// <summary>
    /// How long the cache may sit unused (no allocation or release on the device) before its
    /// buffers are freed, so a service that has gone quiet gives its memory back; default 30
    /// seconds; <see cref="Timeout.InfiniteTimeSpan"/> keeps the cache until <see cref="ReleaseCachedMemory"/>.
    /// </summary>
    public TimeSpan CacheIdleRelease
    {
        get => _cacheIdleRelease;
        set
        {
            if (value != Timeout.InfiniteTimeSpan && value <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(nameof(value), value, "The idle time before the cache is released must be positive (or Timeout.InfiniteTimeSpan).");
            _cacheIdleRelease = value;
            ScheduleIdleRelease();
        }
    }

    private TimeSpan _cacheIdleRelease = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When set, the engine never holds more than this many bytes on the device (live and cached),
    /// as <c>torch.cuda.set_per_process_memory_fraction</c> does; null (the default) is no limit
    /// beyond the device's own memory.
    /// </summary>
    public long? MemoryLimit
    {
        get => _memoryLimit;
        set
        {
            if (value <= 0)
                throw new ArgumentOutOfRangeException(nameof(value), value, "The memory limit must be positive.");
            _memoryLimit = value;
        }
    }

    private long? _memoryLimit;

    /// <summary>
    /// Bytes a new allocation can still get: what the device reports free (CUDA's free memory, the
    /// host's available memory for the CPU accelerator, an OpenCL device's memory less what the
    /// engine holds), plus what the cache holds (it is released on demand), within <see cref="MemoryLimit"/>.
    /// </summary>
    public long FreeMemory
    {
        get
        {
            long free = Kind switch
            {
                DeviceKind.Cpu => HostMemory.Available(),
                DeviceKind.Cuda when _accelerator is ILGPU.Runtime.Cuda.CudaAccelerator cuda => cuda.GetFreeMemory(),
                _ => Info.MemoryBytes - LiveBytes - CachedBytes,
            };
            free = Math.Max(0, free) + CachedBytes;
            return _memoryLimit is long limit ? Math.Min(free, Math.Max(0, limit - LiveBytes)) : free;
        }
    }

    /// <summary>Throws <see cref="OutOfDeviceMemoryException"/> unless <paramref name="bytes"/> more would fit now.</summary>
    public void EnsureFits(long bytes, string what)
    {
        long free = FreeMemory;
        if (bytes > free)
            throw new OutOfDeviceMemoryException(Info.Spec, what, bytes, free);
    }

    /// <summary>Frees every cached buffer (buffers in use are untouched).</summary>
    public void ReleaseCachedMemory()
    {
        lock (_allocation)
        {
            if (!_disposed)
                _cache.Clear(free: true);
        }
    }

    /// <summary>Arms the idle timer to look at the cache once the idle time has passed (nothing when the cache is empty or kept).</summary>
    private void ScheduleIdleRelease()
    {
        if (_disposed || _cacheIdleRelease == Timeout.InfiniteTimeSpan || _cache.Count == 0)
            return;
        try
        {
            _idleTimer.Change(_cacheIdleRelease, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // disposed meanwhile: nothing to release
        }
    }

    /// <summary>The idle timer's callback: frees the cache when nothing used it for the idle time, else looks again when that time will have passed.</summary>
    private void ReleaseCacheIfIdle()
    {
        lock (_allocation)
        {
            if (_disposed || _cache.Count == 0 || _cacheIdleRelease == Timeout.InfiniteTimeSpan)
                return;
            long idle = Environment.TickCount64 - Interlocked.Read(ref _lastCacheUse);
            long wait = (long)_cacheIdleRelease.TotalMilliseconds - idle;
            if (wait > 0)
            {
                _idleTimer.Change(TimeSpan.FromMilliseconds(wait), Timeout.InfiniteTimeSpan);
                return;
            }
            // CUDA frees in the context current on the calling thread: this is a pool thread.
            _accelerator.Bind();
            _cache.Clear(free: true);
            IdleReleases++;
        }
    }

    /// <summary>How many times the cache was freed for being idle (<see cref="CacheIdleRelease"/>).</summary>
    public int IdleReleases { get; private set; }

    /// <summary>Number of distinct kernels loaded on this device so far.</summary>
    public int LoadedKernelCount
    {
        get { lock (_kernels) return _kernels.Count; }
    }

    /// <summary>The ILGPU accelerator, for code that launches kernels.</summary>
    internal Accelerator Accelerator
    {
        get
        {
            ThrowIfDisposed();
            return _accelerator;
        }
    }

    /// <summary>Which code path ops take on this device (host code, kernels, implicit GEMM), resolved when it opened; ops ask it rather than deciding.</summary>
    internal ExecutionPaths Paths
    {
        get
        {
            ThrowIfDisposed();
            return _paths;
        }
    }

    /// <summary>A fence behind everything queued so far: <see cref="DeviceFence.Wait"/> returns once it is done, without waiting for what is queued after it.</summary>
    public DeviceFence Fence()
    {
        ThrowIfDisposed();
        return new DeviceFence(this, _accelerator.DefaultStream.AddProfilingMarker());
    }

    /// <summary>Page-locked host memory of <paramref name="length"/> elements for uploads that do not wait (see <see cref="PinnedBuffer{T}"/>).</summary>
    public PinnedBuffer<T> AllocatePinned<T>(long length) where T : unmanaged
    {
        ThrowIfDisposed();
        return new PinnedBuffer<T>(this, length);
    }

    /// <summary>Makes the calling thread able to use the device (CUDA needs its context current on the thread; other kinds need nothing).</summary>
    internal void BindToCurrentThread() => Accelerator.Bind();

    /// <summary>Waits for every queued launch and copy to finish.</summary>
    public void Synchronize()
    {
        Profile?.RecordSynchronize();
        Accelerator.Synchronize();
    }

    /// <summary>The launch profile counting this device's work, when one is running.</summary>
    public LaunchProfile? Profile { get; private set; }

    /// <summary>
    /// Starts counting launches, copies and synchronisations (see <see cref="LaunchProfile"/>),
    /// replacing any profile running. With <paramref name="executeLaunches"/> false, a dry run:
    /// launches are counted and not run.
    /// </summary>
    public LaunchProfile StartProfile(bool executeLaunches = true)
    {
        ThrowIfDisposed();
        Profile = new LaunchProfile(executeLaunches);
        return Profile;
    }

    /// <summary>Stops the running profile and returns it (null when none ran).</summary>
    public LaunchProfile? StopProfile()
    {
        var profile = Profile;
        Profile = null;
        return profile;
    }

    /// <summary>Counts a launch in the running profile; false when it must not run (a dry run).</summary>
    internal bool RecordLaunch(string kernel, long workItems)
    {
        var profile = Profile;
        if (profile is null)
            return true;
        profile.RecordLaunch(kernel, workItems);
        return profile.ExecuteLaunches;
    }

    /// <summary>The launcher of a kernel on this device, loading (compiling) it on first use only.</summary>
    public TDelegate Kernel<TDelegate>(KernelLoader<TDelegate> loader) where TDelegate : Delegate
    {
        ArgumentNullException.ThrowIfNull(loader);
        ThrowIfDisposed();
        lock (_kernels)
        {
            if (!_kernels.TryGetValue(loader, out var kernel))
            {
                kernel = loader.Load(_accelerator);
                _kernels.Add(loader, kernel);
            }
            if (Profile is null)
                return (TDelegate)kernel;
            if (!_profiledKernels.TryGetValue(loader, out var profiled))
            {
                profiled = ProfiledLauncher.Wrap((TDelegate)kernel, loader.Name, this);
                _profiledKernels.Add(loader, profiled);
            }
            return (TDelegate)profiled;
        }
    }

    /// <summary>
    /// A dense device buffer of <paramref name="length"/> elements, reused from the cache when one
    /// of that type and length was released, else allocated; live until <see cref="Release"/>.
    /// Its contents are undefined. When the device (or <see cref="MemoryLimit"/>) cannot give the
    /// memory, the cache is released and the allocation tried once more before
    /// <see cref="OutOfDeviceMemoryException"/> says what was needed and what is free.
    /// </summary>
    internal MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(long length) where T : unmanaged
    {
        ThrowIfDisposed();
        lock (_allocation)
            return AllocateLocked<T>(length);
    }

    private MemoryBuffer1D<T, Stride1D.Dense> AllocateLocked<T>(long length) where T : unmanaged
    {
        Interlocked.Exchange(ref _lastCacheUse, Environment.TickCount64);
        var buffer = (MemoryBuffer1D<T, Stride1D.Dense>?)_cache.Take(typeof(T), length);
        if (buffer is null)
        {
            long bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            buffer = TryAllocate<T>(length, bytes, out var failure);
            if (buffer is null)
            {
                _cache.Clear(free: true);
                buffer = TryAllocate<T>(length, bytes, out failure)
                    ?? throw new OutOfDeviceMemoryException(Info.Spec, $"a buffer of {length} {typeof(T).Name} values", bytes, FreeMemory, failure);
            }
            Interlocked.Increment(ref _allocations);
        }
        Interlocked.Increment(ref _liveBuffers);
        long live = Interlocked.Add(ref _liveBytes, buffer.LengthInBytes);
        for (long peak = PeakLiveBytes; live > peak; peak = PeakLiveBytes)
            Interlocked.CompareExchange(ref _peakLiveBytes, live, peak);
        return buffer;
    }

    /// <summary>Allocates from the accelerator, or returns null when the memory is not there (failure says why).</summary>
    private MemoryBuffer1D<T, Stride1D.Dense>? TryAllocate<T>(long length, long bytes, out Exception? failure) where T : unmanaged
    {
        failure = null;
        // Within the limit, and on the CPU accelerator within the host's available memory: Linux
        // overcommits, so an allocation beyond it would succeed and the process be killed later.
        if ((_memoryLimit is not null || Kind == DeviceKind.Cpu) && bytes > FreeMemory - CachedBytes)
            return null;
        try
        {
            return _accelerator.Allocate1D<T>(length);
        }
        catch (Exception e) when (IsOutOfMemory(e))
        {
            failure = e;
            return null;
        }
    }

    private static bool IsOutOfMemory(Exception e) => e switch
    {
        OutOfMemoryException or InsufficientMemoryException => true,
        ILGPU.Runtime.Cuda.CudaException cuda => cuda.Error.Contains("OUT_OF_MEMORY", StringComparison.Ordinal),
        ILGPU.Runtime.OpenCL.CLException cl => cl.Error is ILGPU.Runtime.OpenCL.CLError.CL_MEM_OBJECT_ALLOCATION_FAILURE
            or ILGPU.Runtime.OpenCL.CLError.CL_OUT_OF_RESOURCES or ILGPU.Runtime.OpenCL.CLError.CL_OUT_OF_HOST_MEMORY,
        _ => false,
    };

    /// <summary>Returns a buffer from <see cref="Allocate{T}"/>: to the cache, or freed when caching is off.</summary>
    internal void Release<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged
    {
        long bytes = buffer.LengthInBytes;
        Interlocked.Decrement(ref _liveBuffers);
        Interlocked.Add(ref _liveBytes, -bytes);
        lock (_allocation)
        {
            if (_disposed)
                return; // the accelerator has freed it already
            if (!CachingEnabled)
            {
                buffer.Dispose();
                return;
            }
            Interlocked.Exchange(ref _lastCacheUse, Environment.TickCount64);
            bool wasEmpty = _cache.Count == 0;
            _cache.Put(typeof(T), buffer, CacheLimit);
            if (wasEmpty)
                ScheduleIdleRelease();
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Releases the accelerator (and with it every buffer and kernel on it) and the context.</summary>
    public void Dispose()
    {
        lock (_allocation)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        _idleTimer.Dispose();
        lock (_kernels)
        {
            _kernels.Clear();
            _profiledKernels.Clear();
        }
        _cache.Clear(free: false); // the accelerator frees the cached buffers with everything else
        _accelerator.Dispose();
        _context.Dispose();
        Gate.Dispose();
    }

    /// <summary>The device's name (<see cref="Name"/>) and what it is (<see cref="DeviceInfo"/>).</summary>
    public override string ToString() => $"{Name}: {Info}";
}
