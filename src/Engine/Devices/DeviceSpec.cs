namespace Engine.Devices;

/// <summary>
/// A device request: <c>auto</c>, or a kind with an optional index (<c>cpu</c>, <c>opencl</c>,
/// <c>opencl:1</c>, <c>cuda:0</c>), as written in <c>ENGINE_DEVICE</c> or on a command line.
/// </summary>
/// <param name="Kind">The requested kind, or null for automatic choice.</param>
/// <param name="Index">The index among devices of that kind, or null for the best of that kind.</param>
public readonly record struct DeviceSpec(DeviceKind? Kind, int? Index)
{
    /// <summary>The environment variable read when no device is named explicitly.</summary>
    public const string EnvironmentVariable = "ENGINE_DEVICE";

    /// <summary>Automatic choice: CUDA, then an OpenCL GPU, then an OpenCL CPU, then the CPU accelerator.</summary>
    public static DeviceSpec Auto => new(null, null);

    /// <summary>True when this spec asks for automatic choice.</summary>
    public bool IsAuto => Kind is null;

    /// <summary>Parses <c>auto</c>, <c>cpu</c>, <c>opencl[:N]</c> or <c>cuda[:N]</c> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">The text is not a device spec; the message quotes it.</exception>
    public static DeviceSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim().ToLowerInvariant();
        if (trimmed is "" or "auto")
            return Auto;

        string kindText = trimmed;
        int? index = null;
        int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            kindText = trimmed[..colon];
            string indexText = trimmed[(colon + 1)..];
            if (!int.TryParse(indexText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int parsed))
                throw new ArgumentException($"Device spec '{text}' has index '{indexText}', which is not a non-negative integer. Expected auto, cpu, opencl[:N] or cuda[:N].", nameof(text));
            index = parsed;
        }

        DeviceKind kind = kindText switch
        {
            "cpu" => DeviceKind.Cpu,
            "opencl" or "cl" => DeviceKind.OpenCL,
            "cuda" => DeviceKind.Cuda,
            _ => throw new ArgumentException($"Unknown device kind '{kindText}' in '{text}'. Expected auto, cpu, opencl[:N] or cuda[:N].", nameof(text)),
        };
        return new DeviceSpec(kind, index);
    }

    /// <summary>The spec in <c>ENGINE_DEVICE</c>, or <see cref="Auto"/> when it is unset or empty.</summary>
    public static DeviceSpec FromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(value) ? Auto : Parse(value);
    }

    /// <summary>The lower-case name used in specs.</summary>
    public static string KindName(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.OpenCL => "opencl",
        DeviceKind.Cuda => "cuda",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind."),
    };

    /// <inheritdoc/>
    public override string ToString() =>
        Kind is null ? "auto" : Index is null ? KindName(Kind.Value) : $"{KindName(Kind.Value)}:{Index}";
}
