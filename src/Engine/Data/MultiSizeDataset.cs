namespace Engine.Data;

/// <summary>
/// One dataset seen at several image sizes, for a model that takes any size (one ending in
/// <see cref="Modules.Layers.SpatialPyramidPooling"/> or global pooling), as SPP-net's multi-size
/// training (He et al. 2014, section 2.3) shows the same images at 224 and at 180 pixels. Item i at
/// size k is the source's item resized bilinearly (<see cref="Resize"/>, torchvision's
/// <c>Resize(antialias=False)</c>): the same content at another resolution, so the model must
/// recognise it at another scale. A training run (<see cref="MultiSizeLoader"/>) takes batches of
/// one size each, size <c>b mod K</c> for batch b of an epoch, over one seeded order of the items;
/// an evaluation reports each size. <see cref="Height"/>, <see cref="Width"/> and
/// <see cref="Read"/> are those of the first size; <see cref="At"/> gives each.
/// </summary>
/// <example><code>var train = new MultiSizeDataset(fashionTrain, [(28, 28), (36, 36)]);</code></example>
public sealed class MultiSizeDataset : IDataset
{
    private readonly IDataset[] _views;

    /// <summary>The items of <paramref name="source"/> at each of <paramref name="sizes"/> (rows, columns), in order.</summary>
    /// <exception cref="ArgumentException">No size, a size below 1, a size given twice, or a source that has several sizes already, named.</exception>
    public MultiSizeDataset(IDataset source, IReadOnlyList<(int Height, int Width)> sizes)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sizes);
        if (source is MultiSizeDataset)
            throw new ArgumentException("MultiSizeDataset: the source has several sizes already; give its Source and all the sizes.", nameof(source));
        string listed = Describe(sizes);
        if (sizes.Count == 0)
            throw new ArgumentException("MultiSizeDataset: needs at least one size.", nameof(sizes));
        if (sizes.Any(s => s.Height < 1 || s.Width < 1))
            throw new ArgumentException($"MultiSizeDataset: sizes must be positive, got {listed}.", nameof(sizes));
        if (sizes.Distinct().Count() != sizes.Count)
            throw new ArgumentException($"MultiSizeDataset: each size once, got {listed}.", nameof(sizes));
        Source = source;
        Sizes = [.. sizes];
        // The source's own size reads the source itself: an in-memory dataset stays in memory, with its bits.
        _views = [.. Sizes.Select(s => s == (source.Height, source.Width) ? source : new TransformedDataset(source, [new Resize(s.Height, s.Width)]))];
    }

    /// <summary>The items at their own size.</summary>
    public IDataset Source { get; }

    /// <summary>The sizes (rows, columns), in the order batches take them.</summary>
    public IReadOnlyList<(int Height, int Width)> Sizes { get; }

    /// <summary>The items at size <paramref name="index"/> (of <see cref="Sizes"/>).</summary>
    public IDataset At(int index) => _views[index];

    /// <inheritdoc/>
    public int Count => Source.Count;

    /// <inheritdoc/>
    public int Channels => Source.Channels;

    /// <summary>The first size's rows.</summary>
    public int Height => Sizes[0].Height;

    /// <summary>The first size's columns.</summary>
    public int Width => Sizes[0].Width;

    /// <inheritdoc/>
    public int Classes => Source.Classes;

    /// <summary>Reads item <paramref name="index"/> at the first size.</summary>
    public int Read(int index, Span<float> image) => _views[0].Read(index, image);

    /// <summary>The sizes as messages give them: <c>28x28, 36x36</c>.</summary>
    public static string Describe(IEnumerable<(int Height, int Width)> sizes) => string.Join(", ", sizes.Select(s => $"{s.Height}x{s.Width}"));

    /// <summary>As the run's data fingerprint records it.</summary>
    public override string ToString() => $"at sizes {Describe(Sizes)}, resized bilinearly";
}
