namespace Engine.Models;

/// <summary>
/// The one table of model names. A kind (<c>resnet</c>, <c>deeplab</c>, <c>ae</c>: what <c>train</c>
/// takes and a checkpoint's kind) has one name; the networks of a kind that differ (ResNet-18, -34
/// and -50; the autoencoders) are named each; names used before (<c>deeplabv3</c>) are read as
/// aliases, so old checkpoints and scripts keep working, and never written.
/// </summary>
public static class ModelNames
{
    // Each kind and its networks; the first is the one the kind's own name builds.
    private static readonly (string Kind, string[] Networks)[] Table =
    [
        ("resnet", ["resnet18", "resnet34", "resnet50"]),
        ("sppnet", ["sppnet"]),
        ("unet", ["unet"]),
        ("fcn32s", ["fcn32s"]),
        ("fcn16s", ["fcn16s"]),
        ("fcn8s", ["fcn8s"]),
        ("deeplab", ["deeplab"]),
        ("pspnet", ["pspnet"]),
        ("segnet", ["segnet"]),
        ("deconvnet", ["deconvnet"]),
        ("vae", ["vae"]),
        ("ae", ["ae-plain", "ae-denoising", "ae-sparse", "ae-contractive"]),
    ];

    // Names of earlier builds, read as today's: ModelFactory named DeepLabV3 after the paper, train after the kind.
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["deeplabv3"] = "deeplab",
    };

    /// <summary>The kinds, as <c>train</c> takes them.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [.. Table.Select(row => row.Kind)];

    /// <summary>The networks <see cref="ModelFactory"/> builds, by their canonical names.</summary>
    public static IReadOnlyList<string> Networks { get; } = [.. Table.SelectMany(row => row.Networks)];

    /// <summary>
    /// <paramref name="name"/> as a network's canonical name: a network's own (any case), an alias's
    /// network, or a kind's first network (<c>resnet</c>: <c>resnet18</c>); an unknown name unchanged.
    /// </summary>
    public static string Canonical(string name)
    {
        if (name is null)
            return name!;
        string known = Aliases.TryGetValue(name, out string? alias) ? alias : name;
        return Networks.FirstOrDefault(n => n.Equals(known, StringComparison.OrdinalIgnoreCase))
            ?? Table.FirstOrDefault(row => row.Kind.Equals(known, StringComparison.OrdinalIgnoreCase)).Networks?[0]
            ?? name;
    }

    /// <summary>The kind <paramref name="name"/> is (a kind, an alias of one, or one of its networks), or null for an unknown name.</summary>
    public static string? KindOf(string name)
    {
        string network = Canonical(name);
        return Table.FirstOrDefault(row => row.Networks.Contains(network)).Kind;
    }

    /// <summary>The kind <paramref name="name"/> names by itself (a kind or an alias of one, any case; not a network of several), or null.</summary>
    public static string? Kind(string name)
    {
        string known = Aliases.TryGetValue(name, out string? alias) ? alias : name;
        return Kinds.FirstOrDefault(kind => kind.Equals(known, StringComparison.OrdinalIgnoreCase));
    }
}
