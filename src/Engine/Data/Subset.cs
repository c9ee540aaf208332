namespace Engine.Data;

/// <summary>
/// The items of a dataset at given indices, in that order, as PyTorch's <c>torch.utils.data.Subset</c>:
/// a view that reads through to the source (nothing copied). A data-parallel evaluation takes its
/// rank's share of a streamed test set this way.
/// </summary>
public sealed class Subset : IDataset
{
    private readonly int[] _indices;

    /// <summary>Items <paramref name="indices"/> of <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentException">No indices, or one outside the source, named.</exception>
    public Subset(IDataset source, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0)
            throw new ArgumentException("Subset: no indices.", nameof(indices));
        foreach (int index in indices)
        {
            if (index < 0 || index >= source.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Subset: index {index} is outside [0, {source.Count}).");
        }
        Source = source;
        _indices = [.. indices];
    }

    /// <summary>Items <c>rank, rank + ranks, ...</c> of <paramref name="source"/>: one rank's share (the shares are disjoint and cover it).</summary>
    /// <exception cref="ArgumentException">A rank outside <c>[0, ranks)</c>, or more ranks than items.</exception>
    public static IDataset Shard(IDataset source, int rank, int ranks)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (ranks <= 0 || rank < 0 || rank >= ranks)
            throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {ranks}: the rank must lie in [0, ranks).");
        if (ranks > source.Count)
            throw new ArgumentException($"{source.Count} items cannot give each of {ranks} ranks one.");
        return ranks == 1 ? source : new Subset(source, Enumerable.Range(0, (source.Count - rank + ranks - 1) / ranks).Select(i => rank + i * ranks).ToArray());
    }

    /// <summary>The dataset read through.</summary>
    public IDataset Source { get; }

    /// <summary>The source's index of each item.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <inheritdoc/>
    public int Count => _indices.Length;

    /// <inheritdoc/>
    public int Channels => Source.Channels;

    /// <inheritdoc/>
    public int Height => Source.Height;

    /// <inheritdoc/>
    public int Width => Source.Width;

    /// <inheritdoc/>
    public int Classes => Source.Classes;

    /// <inheritdoc/>
    public int Read(int index, Span<float> image)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Source.Read(_indices[index], image);
    }
}
