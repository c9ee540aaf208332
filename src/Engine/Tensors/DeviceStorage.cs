using Engine.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Tensors;

/// <summary>
/// A device buffer shared by a tensor and its views (reshapes), freed when the last of them is
/// disposed. Counted in <see cref="ComputeDevice.LiveBufferCount"/> while alive.
/// </summary>
internal sealed class DeviceStorage<T> where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;
    private int _references = 1;

    internal DeviceStorage(ComputeDevice device, long length)
    {
        Device = device;
        _buffer = device.Allocate<T>(length);
        Length = length;
    }

    internal ComputeDevice Device { get; }

    internal long Length { get; }

    /// <summary>The whole buffer; throws when released or when the device was disposed.</summary>
    internal ArrayView1D<T, Stride1D.Dense> View
    {
        get
        {
            Device.ThrowIfDisposed();
            return (_buffer ?? throw new ObjectDisposedException(nameof(DeviceStorage<T>))).View;
        }
    }

    internal void AddReference() => Interlocked.Increment(ref _references);

    internal void RemoveReference()
    {
        if (Interlocked.Decrement(ref _references) != 0)
            return;
        var buffer = _buffer!;
        _buffer = null;
        Device.Release(buffer);
    }
}
