namespace Engine.Devices;

/// <summary>
/// The requested device is absent or unusable. The message names the request and lists every
/// device that is present.
/// </summary>
public sealed class DeviceNotFoundException : InvalidOperationException
{
    internal DeviceNotFoundException(DeviceSpec requested, string reason, IEnumerable<DeviceCatalog.Entry> present)
        : base(BuildMessage(requested, reason, present.Select(e => e.Info)))
    {
        Requested = requested;
    }

    /// <summary>The spec that could not be satisfied.</summary>
    public DeviceSpec Requested { get; }

    private static string BuildMessage(DeviceSpec requested, string reason, IEnumerable<DeviceInfo> present)
    {
        var lines = present.Select(p => "  " + p).ToList();
        return $"Device '{requested}' is not available: {reason}. Present:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
    }
}
