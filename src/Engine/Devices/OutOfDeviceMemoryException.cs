namespace Engine.Devices;

/// <summary>
/// A device allocation that cannot be satisfied even after the caching allocator released what it
/// kept, or a planned computation that cannot fit: it says how much was needed and how much is free.
/// </summary>
public sealed class OutOfDeviceMemoryException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="what"/> on <paramref name="device"/>.</summary>
    public OutOfDeviceMemoryException(string device, string what, long neededBytes, long freeBytes, Exception? inner = null)
        : base($"out of device memory on {device}: {what} needs {ByteSize.MiB(neededBytes)}, {ByteSize.MiB(freeBytes)} free", inner)
    {
        NeededBytes = neededBytes;
        FreeBytes = freeBytes;
    }

    /// <summary>Bytes asked for.</summary>
    public long NeededBytes { get; }

    /// <summary>Bytes the device (or its limit) had free.</summary>
    public long FreeBytes { get; }
}
