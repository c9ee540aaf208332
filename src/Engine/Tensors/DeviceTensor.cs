using Engine.Devices;
using ILGPU.Runtime;

namespace Engine.Tensors;

/// <summary>
/// What every device tensor has, whatever its element type: a device, a shape, and
/// deterministic release through <see cref="IDisposable"/>.
/// </summary>
public abstract class DeviceTensor : IDisposable
{
    private protected DeviceTensor(ComputeDevice device, Shape shape)
    {
        Device = device;
        Shape = shape;
    }

    /// <summary>The device holding the data.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The shape (row-major; NCHW for images).</summary>
    public Shape Shape { get; }

    /// <summary>Number of elements.</summary>
    public long Numel => Shape.Numel;

    /// <summary>True once disposed (or once its device was disposed).</summary>
    public abstract bool IsDisposed { get; }

    /// <summary>The dispose scope that will free this tensor, if any.</summary>
    internal DisposeScope? Scope { get; set; }

    /// <summary>Removes this tensor from its dispose scope: the caller now owns it.</summary>
    public void DetachFromScope()
    {
        Scope?.Forget(this);
        Scope = null;
    }

    /// <summary>Releases this tensor's hold on its device memory (freed with the last view).</summary>
    public abstract void Dispose();

    /// <summary>Throws <see cref="ObjectDisposedException"/> when disposed.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}

/// <summary>
/// A dense device tensor of <typeparamref name="T"/>. Data moves between host and device only
/// through the explicit <see cref="CopyFrom"/>, <see cref="CopyTo"/> and <see cref="ToArray"/>.
/// </summary>
public abstract class DeviceTensor<T> : DeviceTensor where T : unmanaged
{
    private readonly DeviceStorage<T> _storage;
    private readonly long _offset;
    private bool _disposed;

    private protected DeviceTensor(ComputeDevice device, Shape shape)
        : this(new DeviceStorage<T>(device, shape.Numel), shape)
    {
    }

    /// <summary>A tensor over <c>Numel</c> elements of <paramref name="storage"/> from <paramref name="offset"/>; the caller has added a reference.</summary>
    private protected DeviceTensor(DeviceStorage<T> storage, Shape shape, long offset = 0) : base(storage.Device, shape)
    {
        if (offset < 0 || offset + shape.Numel > storage.Length)
            throw new ArgumentException($"A view of shape {shape} at offset {offset} does not fit a buffer of {storage.Length} elements.");
        _storage = storage;
        _offset = offset;
        DisposeScope.Register(this);
    }

    /// <inheritdoc/>
    public override bool IsDisposed => _disposed || Device.IsDisposed;

    /// <summary>The elements as an ILGPU view, for launching kernels.</summary>
    internal ILGPU.ArrayView<T> View
    {
        get
        {
            ThrowIfDisposed();
            return _storage.View.AsContiguous().SubView(_offset, Numel);
        }
    }

    /// <summary>True when this tensor's elements start right after <paramref name="previous"/>'s in the same memory.</summary>
    internal bool Follows(DeviceTensor<T> previous) =>
        ReferenceEquals(_storage, previous._storage) && _offset == previous._offset + previous.Numel;

    /// <summary><paramref name="count"/> elements of this tensor's memory from its first (beyond its own end when tensors lie side by side; see <see cref="Follows"/>).</summary>
    internal ILGPU.ArrayView<T> ViewSpanning(long count)
    {
        ThrowIfDisposed();
        if (_offset + count > _storage.Length)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{count} elements from offset {_offset} pass the end of a buffer of {_storage.Length}.");
        return _storage.View.AsContiguous().SubView(_offset, count);
    }

    /// <summary>Element offset of this view in its storage.</summary>
    private protected long Offset => _offset;

    /// <summary>Element offset of this view in the memory it shares with others (see <see cref="SharesStorageWith"/>).</summary>
    internal long StorageOffset => _offset;

    /// <summary>True when both tensors are the same elements of the same memory (the same view).</summary>
    internal bool IsSameView(DeviceTensor<T> other) => ReferenceEquals(_storage, other._storage) && _offset == other._offset && Numel == other.Numel;

    /// <summary>True when some element lies in both tensors (views of one buffer may or may not overlap).</summary>
    internal bool Overlaps(DeviceTensor<T> other) =>
        ReferenceEquals(_storage, other._storage) && _offset < other._offset + other.Numel && other._offset < _offset + Numel;

    /// <summary>True when both tensors read or write the same device memory.</summary>
    public bool SharesStorageWith(DeviceTensor<T> other) => ReferenceEquals(_storage, other._storage);

    private protected DeviceStorage<T> Storage
    {
        get
        {
            ThrowIfDisposed();
            return _storage;
        }
    }

    /// <summary>Copies <see cref="DeviceTensor.Numel"/> host values into the tensor (blocking).</summary>
    /// <exception cref="ArgumentException">The span's length differs from the element count.</exception>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        ThrowIfDisposed();
        if (source.Length != Numel)
            throw new ArgumentException($"Cannot copy {source.Length} values into a tensor of shape {Shape} ({Numel} elements).", nameof(source));
        Device.Profile?.RecordToDevice(Numel * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        View.CopyFromCPU(source);
    }

    /// <summary>
    /// Queues a copy of <see cref="DeviceTensor.Numel"/> values from page-locked host memory into
    /// the tensor, behind the launches already queued, and returns without waiting (see
    /// <see cref="PinnedBuffer{T}"/> for when the buffer may be written again).
    /// </summary>
    /// <exception cref="ArgumentException">The buffer's length differs from the element count, or it belongs to another device.</exception>
    public void UploadAsync(PinnedBuffer<T> source)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length != Numel)
            throw new ArgumentException($"Cannot upload {source.Length} values into a tensor of shape {Shape} ({Numel} elements).", nameof(source));
        if (!ReferenceEquals(source.Device, Device))
            throw new ArgumentException($"The pinned buffer belongs to {source.Device.Name}, the tensor to {Device.Name}.", nameof(source));
        Device.Profile?.RecordUpload(Numel * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        View.CopyFromPageLockedAsync(Device.Accelerator.DefaultStream, source.Array);
    }

    /// <summary>Copies the tensor into a host span of exactly <see cref="DeviceTensor.Numel"/> values (waits for queued work).</summary>
    /// <exception cref="ArgumentException">The span's length differs from the element count.</exception>
    public void CopyTo(Span<T> destination)
    {
        ThrowIfDisposed();
        if (destination.Length != Numel)
            throw new ArgumentException($"Cannot copy a tensor of shape {Shape} ({Numel} elements) into {destination.Length} values.", nameof(destination));
        Device.Synchronize();
        Device.Profile?.RecordToHost(Numel * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        View.CopyToCPU(destination);
    }

    /// <summary>A new host array with the tensor's values, row-major.</summary>
    public T[] ToArray()
    {
        var result = new T[Numel];
        CopyTo(result);
        return result;
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        DetachFromScope();
        _storage.RemoveReference();
    }

    /// <summary>Checks that a shape has as many elements as this tensor, for reshapes.</summary>
    private protected Shape CheckReshape(Shape shape)
    {
        ThrowIfDisposed();
        if (shape.Numel != Numel)
            throw new ArgumentException($"Cannot reshape a tensor of shape {Shape} ({Numel} elements) to {shape} ({shape.Numel} elements).", nameof(shape));
        return shape;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}{Shape} on {Device.Name}{(IsDisposed ? " (disposed)" : "")}";
}
