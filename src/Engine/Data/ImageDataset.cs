namespace Engine.Data;

/// <summary>
/// An in-memory image dataset: images <c>[N, C, H, W]</c> as floats, with a class label per image
/// (<c>[N]</c>), a label per pixel (<c>[N, H, W]</c>, segmentation) or no targets (autoencoders).
/// </summary>
public sealed class ImageDataset : IDataset
{
    /// <summary>Wraps the arrays after checking that their lengths agree with the shape.</summary>
    /// <param name="images">Row-major <c>[N, C, H, W]</c>.</param>
    /// <param name="count">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="classes">Number of classes of the labels or masks (0 without targets).</param>
    /// <param name="labels">One class per image, or null.</param>
    /// <param name="masks">One class per pixel, <c>[N, H, W]</c>, or null.</param>
    public ImageDataset(float[] images, int count, int channels, int height, int width, int classes = 0, int[]? labels = null, int[]? masks = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (count <= 0 || channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"ImageDataset: shape [{count}, {channels}, {height}, {width}] must be positive.");
        if (images.Length != (long)count * channels * height * width)
            throw new ArgumentException($"ImageDataset: {images.Length} pixel values do not make [{count}, {channels}, {height}, {width}].");
        if (labels is not null && masks is not null)
            throw new ArgumentException("ImageDataset: give labels or masks, not both.");
        if (labels is not null && labels.Length != count)
            throw new ArgumentException($"ImageDataset: {labels.Length} labels for {count} images.");
        if (masks is not null && masks.Length != (long)count * height * width)
            throw new ArgumentException($"ImageDataset: {masks.Length} mask values do not make [{count}, {height}, {width}].");
        var targets = labels ?? masks;
        if (targets is not null)
        {
            if (classes <= 0)
                throw new ArgumentException($"ImageDataset: targets need a positive class count, got {classes}.");
            int bad = Array.FindIndex(targets, t => t < 0 || t >= classes);
            if (bad >= 0)
                throw new ArgumentException($"ImageDataset: target {targets[bad]} at {bad} is outside [0, {classes}).");
        }
        Images = images;
        Count = count;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
        Labels = labels;
        Masks = masks;
    }

    /// <summary>Pixel values, <c>[N, C, H, W]</c>.</summary>
    public float[] Images { get; }
    /// <summary>N.</summary>
    public int Count { get; }
    /// <summary>C.</summary>
    public int Channels { get; }
    /// <summary>H.</summary>
    public int Height { get; }
    /// <summary>W.</summary>
    public int Width { get; }
    /// <summary>Classes of the labels or masks; 0 without targets.</summary>
    public int Classes { get; }
    /// <summary>Class per image, or null.</summary>
    public int[]? Labels { get; }
    /// <summary>Class per pixel <c>[N, H, W]</c>, or null.</summary>
    public int[]? Masks { get; }

    /// <summary>Classes of the labels (0 for masks or no targets: a <see cref="DatasetLoader"/> streams labels only).</summary>
    int IDataset.Classes => Labels is null ? 0 : Classes;

    /// <summary>Copies image <paramref name="index"/> into <paramref name="image"/>; returns its label (-1 without labels: masks stay with <see cref="DataLoader"/>).</summary>
    public int Read(int index, Span<float> image)
    {
        Images.AsSpan(index * ImageSize, ImageSize).CopyTo(image);
        return Labels?[index] ?? -1;
    }

    /// <summary>Values per image, <c>C * H * W</c>.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>Targets per image: 1 for labels, <c>H * W</c> for masks, 0 without.</summary>
    public int TargetSize => Labels is not null ? 1 : Masks is not null ? Height * Width : 0;

    /// <summary>The images at <paramref name="indices"/>, in that order, with their targets.</summary>
    public ImageDataset Select(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0)
            throw new ArgumentException("ImageDataset.Select: no indices.");
        var images = new float[indices.Count * ImageSize];
        int[]? labels = Labels is null ? null : new int[indices.Count];
        int[]? masks = Masks is null ? null : new int[indices.Count * Height * Width];
        for (int i = 0; i < indices.Count; i++)
        {
            int s = indices[i];
            if (s < 0 || s >= Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"index {s} is outside [0, {Count}).");
            Array.Copy(Images, (long)s * ImageSize, images, (long)i * ImageSize, ImageSize);
            if (labels is not null)
                labels[i] = Labels![s];
            if (masks is not null)
                Array.Copy(Masks!, (long)s * Height * Width, masks, (long)i * Height * Width, Height * Width);
        }
        return new ImageDataset(images, indices.Count, Channels, Height, Width, Classes, labels, masks);
    }

    /// <summary>Images <c>rank, rank + ranks, ...</c>: one rank's share of a sharded evaluation (the shares are disjoint and cover the dataset).</summary>
    public ImageDataset Shard(int rank, int ranks)
    {
        if (ranks <= 0 || rank < 0 || rank >= ranks)
            throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {ranks}: the rank must lie in [0, ranks).");
        if (ranks > Count)
            throw new ArgumentException($"ImageDataset.Shard: {Count} images cannot give each of {ranks} ranks one.");
        return ranks == 1 ? this : Select(Enumerable.Range(0, (Count - rank + ranks - 1) / ranks).Select(i => rank + i * ranks).ToArray());
    }

    /// <summary>The first <paramref name="count"/> images (all when there are fewer).</summary>
    public ImageDataset Take(int count) => count >= Count ? this : Select(Enumerable.Range(0, count).ToArray());
}
