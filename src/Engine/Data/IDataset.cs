namespace Engine.Data;

/// <summary>
/// A dataset read one item at a time, as PyTorch's map-style <c>Dataset</c> (<c>__len__</c>,
/// <c>__getitem__</c>): a count, the shape every item has, and item <c>i</c> read into a span, so a
/// loader (<see cref="DatasetLoader"/>) holds one batch, never the whole set. Reading must not
/// depend on what was read before: items are read in any order and on several threads.
/// </summary>
public interface IDataset
{
    /// <summary>Items, N.</summary>
    int Count { get; }

    /// <summary>C of every item's image.</summary>
    int Channels { get; }

    /// <summary>H.</summary>
    int Height { get; }

    /// <summary>W.</summary>
    int Width { get; }

    /// <summary>Classes of the labels; 0 when items have none.</summary>
    int Classes { get; }

    /// <summary>Reads item <paramref name="index"/>'s image <c>[C, H, W]</c> into <paramref name="image"/>; returns its label (-1 without).</summary>
    /// <exception cref="InvalidDataException">The item cannot be read (a damaged file), named.</exception>
    int Read(int index, Span<float> image);
}
