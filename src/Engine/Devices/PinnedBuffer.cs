using ILGPU.Runtime;

namespace Engine.Devices;

/// <summary>
/// Page-locked host memory for a device's uploads: a copy from it into a tensor
/// (<see cref="Tensors.DeviceTensor{T}.UploadAsync"/>) is queued behind the launches already queued and
/// returns at once, so the host goes on (for instance assembling the next batch into a second
/// buffer) while the device copies and computes. Write it only when the device is done with the
/// last upload from it: after a synchronisation, such as a training step's one wait.
/// </summary>
/// <typeparam name="T">float or int.</typeparam>
public sealed class PinnedBuffer<T> : IDisposable where T : unmanaged
{
    private readonly PageLockedArray1D<T> _array;

    internal PinnedBuffer(ComputeDevice device, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Device = device;
        _array = device.Accelerator.AllocatePageLocked1D<T>(length);
    }

    /// <summary>The device whose uploads it feeds.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Elements.</summary>
    public long Length => _array.Length;

    /// <summary>The host memory, to fill before an upload.</summary>
    public Span<T> Span => _array.Span;

    internal PageLockedArray1D<T> Array => _array;

    /// <summary>Frees the page-locked memory.</summary>
    public void Dispose() => _array.Dispose();
}
