namespace Engine.Models;

/// <summary>
/// The ranges a model's options must lie in: what a checkpoint's reader accepts (commands build a
/// model, and allocate its weights, from a checkpoint's options before any tensor of it is
/// checked) and so what every writer of options must hold to, the command line included.
/// </summary>
public static class ModelLimits
{
    /// <summary>Most classes.</summary>
    public const int MaxClasses = 100_000;
    /// <summary>Most input channels and most base width.</summary>
    public const int MaxChannels = 4096;
    /// <summary>Most image rows or columns.</summary>
    public const int MaxImageSide = 16384;
    /// <summary>Most code size (VAE, autoencoders) and head channels.</summary>
    public const int MaxLatent = 65536;
    /// <summary>Most poolings (U-Net) or blocks (SegNet).</summary>
    public const int MaxDepth = 12;
    /// <summary>Most atrous rate (DeepLabV3).</summary>
    public const int MaxAtrousRate = 1024;

    /// <summary>
    /// The first option of <paramref name="m"/> out of range, as <c>NAME must be ..., got V</c> with
    /// <paramref name="name"/> turning a property name (Classes, BaseWidth, ...) into the caller's
    /// (an option such as <c>--classes</c>); null when all are in range.
    /// </summary>
    public static string? Problem(ModelOptions m, Func<string, string>? name = null)
    {
        ArgumentNullException.ThrowIfNull(m);
        name ??= n => n;
        static string Range(string what, long value, long low, long high) => $"{what} must be between {low} and {high}, got {value}";
        return m.Name is null ? "a model name is missing"
            : m.Classes is < 0 or > MaxClasses ? Range(name(nameof(m.Classes)), m.Classes, 0, MaxClasses)
            : m.InChannels is < 1 or > MaxChannels ? Range(name(nameof(m.InChannels)), m.InChannels, 1, MaxChannels)
            : m.BaseWidth is < 1 or > MaxChannels ? Range(name(nameof(m.BaseWidth)), m.BaseWidth, 1, MaxChannels)
            : m.ImageSize is < 1 or > MaxImageSide ? Range(name(nameof(m.ImageSize)), m.ImageSize, 1, MaxImageSide)
            : m.ImageWidth is < 1 or > MaxImageSide ? Range(name(nameof(m.ImageWidth)), m.ImageWidth.Value, 1, MaxImageSide)
            : m.Latent is < 1 or > MaxLatent ? Range(name(nameof(m.Latent)), m.Latent, 1, MaxLatent)
            : m.Depth is < 1 or > MaxDepth ? Range(name(nameof(m.Depth)), m.Depth.Value, 1, MaxDepth)
            : m.HeadChannels is < 1 or > MaxLatent ? Range(name(nameof(m.HeadChannels)), m.HeadChannels.Value, 1, MaxLatent)
            : m.AtrousRate is < 1 or > MaxAtrousRate ? Range(name(nameof(m.AtrousRate)), m.AtrousRate, 1, MaxAtrousRate)
            : m.OutputStride is not (4 or 8 or 16) ? $"{name(nameof(m.OutputStride))} must be 4, 8 or 16, got {m.OutputStride}"
            : null;
    }
}
