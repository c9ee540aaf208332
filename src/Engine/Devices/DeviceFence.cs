using ILGPU.Runtime;

namespace Engine.Devices;

/// <summary>
/// A point in a device's queue (<see cref="ComputeDevice.Fence"/>): waiting on it waits for the
/// work queued before it only, so a host can reuse a staging buffer once the upload from it is
/// done while later launches keep the device busy. Waiting counts as a synchronisation in a
/// <see cref="LaunchProfile"/>.
/// </summary>
public sealed class DeviceFence : IDisposable
{
    private readonly ComputeDevice _device;
    private readonly ProfilingMarker _marker;

    internal DeviceFence(ComputeDevice device, ProfilingMarker marker)
    {
        _device = device;
        _marker = marker;
    }

    /// <summary>Blocks until everything queued before the fence is done.</summary>
    public void Wait()
    {
        _device.Profile?.RecordSynchronize();
        _marker.Synchronize();
    }

    /// <summary>Releases the marker.</summary>
    public void Dispose() => _marker.Dispose();
}
