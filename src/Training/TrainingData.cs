using Engine.Data;

namespace Engine.Training;

/// <summary>
/// How a run reads a dataset: an in-memory <see cref="ImageDataset"/> (labels or masks, the
/// options' <see cref="Augmentation"/>) through <see cref="DataLoader"/>; any other
/// <see cref="IDataset"/> (an image folder, a <see cref="TransformedDataset"/>) streamed a batch at a
/// time through <see cref="DatasetLoader"/>. Both give the same order and the same bits for the same items.
/// </summary>
internal static class TrainingData
{
    /// <summary>Targets per image: an in-memory dataset's labels (1) or masks (<c>H * W</c>); a streamed one's labels, when it has classes.</summary>
    public static int TargetSize(IDataset data) => data is ImageDataset memory ? memory.TargetSize : data.Classes > 0 ? 1 : 0;

    /// <summary>Values per image, <c>C * H * W</c>.</summary>
    public static int ImageSize(IDataset data) => data.Channels * data.Height * data.Width;

    /// <summary>The loader of <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">Augmentation asked of a streamed dataset (its transforms do that), or transforms over masks.</exception>
    public static IBatchLoader Loader(IDataset data, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false,
        Augmentation? augmentation = null, int rank = 0, int ranks = 1)
    {
        if (data is MultiSizeDataset several)
            return SeveralSizes(several, batchSize, shuffle, seed, dropLast, augmentation, ranks);
        if (data is ImageDataset memory)
            return new DataLoader(memory, batchSize, shuffle, seed, dropLast, augmentation, rank, ranks);
        if (data is TransformedDataset { Source: ImageDataset { Masks: not null } })
            throw new ArgumentException("Transforms move images, not masks: a segmentation dataset with masks trains from its ImageDataset (with the options' Augmentation).");
        if (augmentation is not null)
            throw new ArgumentException($"The options' Augmentation ({augmentation}) applies to an in-memory ImageDataset; a streamed dataset takes its random transforms as a TransformedDataset (RandomCrop, RandomHorizontalFlip).");
        return new DatasetLoader(data, batchSize, shuffle, seed, dropLast, rank: rank, ranks: ranks);
    }

    private static MultiSizeLoader SeveralSizes(MultiSizeDataset data, int batchSize, bool shuffle, ulong seed, bool dropLast, Augmentation? augmentation, int ranks)
    {
        if (data.Source is ImageDataset { Masks: not null } or TransformedDataset { Source: ImageDataset { Masks: not null } })
            throw new ArgumentException($"A MultiSizeDataset resizes images, not masks: a segmentation dataset trains at its own size ({data.Source.Height}x{data.Source.Width}).");
        if (augmentation is not null)
            throw new ArgumentException($"The options' Augmentation ({augmentation}) applies to an in-memory ImageDataset at its own size; give a MultiSizeDataset a TransformedDataset source for random transforms.");
        if (ranks > 1)
            throw new ArgumentException($"Training at several image sizes ({MultiSizeDataset.Describe(data.Sizes)}) runs in one process; a data-parallel run takes one size.");
        return new MultiSizeLoader(data, batchSize, shuffle, seed, dropLast);
    }

    /// <summary>The image shapes <c>[C, H, W]</c> of a dataset's batches: one, or a <see cref="MultiSizeDataset"/>'s each.</summary>
    public static IReadOnlyList<(int Channels, int Height, int Width)> Shapes(IDataset data) =>
        data is MultiSizeDataset several ? [.. several.Sizes.Select(s => (data.Channels, s.Height, s.Width))] : [(data.Channels, data.Height, data.Width)];

    /// <summary>The dataset at each of its sizes: itself, or a <see cref="MultiSizeDataset"/>'s views.</summary>
    public static IReadOnlyList<IDataset> Views(IDataset data) =>
        data is MultiSizeDataset several ? [.. Enumerable.Range(0, several.Sizes.Count).Select(several.At)] : [data];

    /// <summary>Items <c>rank, rank + ranks, ...</c> of <paramref name="data"/>: one rank's share of an evaluation.</summary>
    public static IDataset Share(IDataset data, int rank, int ranks) =>
        data is ImageDataset memory ? memory.Shard(rank, ranks) : Subset.Shard(data, rank, ranks);
}
