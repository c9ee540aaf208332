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

    /// <summary>The same refusal with <paramref name="message"/> (a caller saying where the request came from).</summary>
    public DeviceNotFoundException(DeviceSpec requested, string message, Exception inner) : base(message, inner)
    {
        Requested = requested;
    }

    /// <summary>The spec that could not be satisfied.</summary>
    public DeviceSpec Requested { get; }

    private static string BuildMessage(DeviceSpec requested, string reason, IEnumerable<DeviceInfo> present)
    {
        // One line (the command line prints errors as one): the devices separated by semicolons.
        var devices = present.Select(p => System.Text.RegularExpressions.Regex.Replace(p.ToString(), @"\s+", " ")).ToList();
        return $"Device '{requested}' is not available: {reason}. Present: {(devices.Count == 0 ? "none" : string.Join("; ", devices))}.";
    }
}
