using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>
/// Batches of an <see cref="ImageDataset"/>, like PyTorch's DataLoader: a fresh permutation per
/// epoch when shuffling (keyed by <c>(seed, epoch)</c>, see <see cref="RandomStreams"/>, so a
/// resumed run sees the same order), optional augmentation keyed by <c>(seed, epoch, position)</c>
/// (so an epoch resumed at any batch augments its images as an uninterrupted one would), and
/// either dropping the last partial batch (training: every batch has the compiled graph's size) or
/// padding it (evaluation: <see cref="Batch.Count"/> tells the real rows).
/// <para>
/// Sharded for data-parallel training (<c>rank</c> of <c>ranks</c>, as PyTorch's
/// DistributedSampler): every rank draws the same permutation and takes positions
/// <c>rank, rank + ranks, ...</c> of it, so batch b of the ranks together holds exactly the
/// images of batch b of one unsharded loader with batch <c>ranks * BatchSize</c>, augmented
/// identically (augmentation is keyed by the position in the permutation).
/// </para>
/// </summary>
public sealed class DataLoader : IBatchLoader
{
    private readonly ImageDataset _data;
    private readonly bool _shuffle;
    private readonly bool _dropLast;
    private readonly ulong _seed;
    private readonly Augmentation? _augmentation;
    private readonly int _rank, _ranks;

    /// <summary>Creates the loader.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="batchSize">Images per batch (per rank when sharded).</param>
    /// <param name="shuffle">A fresh permutation per epoch.</param>
    /// <param name="seed">The run's seed (permutations and augmentation).</param>
    /// <param name="dropLast">Drop the last partial batch instead of padding it.</param>
    /// <param name="augmentation">Random flips and shifts, or null.</param>
    /// <param name="rank">This rank's shard (data-parallel training), 0 .. <paramref name="ranks"/> - 1.</param>
    /// <param name="ranks">Number of shards; above 1 needs <paramref name="dropLast"/>, so that every rank takes the same steps.</param>
    public DataLoader(ImageDataset data, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false, Augmentation? augmentation = null,
        int rank = 0, int ranks = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckBatching(data.Count, batchSize, dropLast, rank, ranks, "images");
        _data = data;
        BatchSize = batchSize;
        _shuffle = shuffle;
        _seed = seed;
        _dropLast = dropLast;
        _augmentation = augmentation;
        _rank = rank;
        _ranks = ranks;
    }

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => BatchCount(_data.Count, BatchSize, _dropLast, _ranks);

    /// <summary>
    /// Refuses a batching of <paramref name="count"/> <paramref name="items"/> (the noun the
    /// messages use) that no epoch can take: a batch size below 1, a rank outside its range, a
    /// sharded loader that would pad, or a dropped partial batch that leaves none.
    /// </summary>
    internal static void CheckBatching(int count, int batchSize, bool dropLast, int rank, int ranks, string items)
    {
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be positive, got {batchSize}.");
        if (ranks <= 0 || rank < 0 || rank >= ranks)
            throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {ranks}: the rank must lie in [0, ranks).");
        if (ranks > 1 && !dropLast)
            throw new ArgumentException("A sharded loader drops the last partial global batch, so that every rank takes the same steps: pass dropLast.");
        if (dropLast && (long)batchSize * ranks > count)
            throw new ArgumentException(ranks == 1
                ? $"Batch size {batchSize} is larger than the {count} {items}, so dropping the partial batch leaves none."
                : $"Batch size {batchSize} on each of {ranks} ranks ({(long)batchSize * ranks} {items} a step) is larger than the {count} {items}.");
    }

    /// <summary>Batches in an epoch of <paramref name="count"/> items: whole global batches when dropping the partial one, else every batch, the last padded.</summary>
    internal static int BatchCount(int count, int batchSize, bool dropLast, int ranks) =>
        dropLast ? (int)(count / ((long)batchSize * ranks)) : (count + batchSize - 1) / batchSize;

    /// <summary>
    /// The position in the epoch's permutation of row <paramref name="i"/> of the batch starting at
    /// <paramref name="start"/>: this rank's every ranks-th; with one rank, <c>start + i</c>, a padded
    /// row repeating one of the <paramref name="real"/> rows before it.
    /// </summary>
    internal static int Position(int start, int i, int real, int rank, int ranks) =>
        ranks > 1 ? rank + ranks * (start + i) : start + (i < real ? i : i % real);

    /// <summary>Refuses a negative epoch, or a first batch outside the epoch's <paramref name="batches"/> (every loader's rule).</summary>
    internal static void CheckEpoch(int epoch, int firstBatch, int batches)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (firstBatch < 0 || firstBatch > batches)
            throw new ArgumentOutOfRangeException(nameof(firstBatch), firstBatch, $"An epoch has {batches} batches.");
    }

    /// <summary>The order of the dataset in an epoch.</summary>
    public int[] Order(int epoch) => EpochOrder(_data.Count, _shuffle, _seed, epoch);

    /// <summary>
    /// The order of <paramref name="count"/> items in an epoch: as they are, or shuffled by the
    /// seed's shuffle stream for that epoch (every loader's order, so they agree item for item).
    /// </summary>
    internal static int[] EpochOrder(int count, bool shuffle, ulong seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (shuffle)
            new PhiloxRandom(RandomStreams.Derive(seed, RandomStream.Shuffle, (ulong)epoch)).Shuffle(order.AsSpan());
        return order;
    }

    /// <summary>
    /// The batches of one epoch from batch <paramref name="firstBatch"/> on (a resumed epoch skips
    /// those it has done). The same <see cref="Batch"/> object is refilled each time: copy what
    /// must outlive the next iteration.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int firstBatch = 0)
    {
        DataLoader.CheckEpoch(epoch, firstBatch, BatchesPerEpoch);
        return Batches(epoch, firstBatch);
    }

    private IEnumerable<Batch> Batches(int epoch, int firstBatch)
    {
        var order = Order(epoch);
        ulong augmentationKey = RandomStreams.Derive(_seed, RandomStream.Augmentation, (ulong)epoch);
        int imageSize = _data.ImageSize, targetSize = _data.TargetSize;
        var batch = new Batch(BatchSize, (_data.Channels, _data.Height, _data.Width), targetSize);
        for (int b = firstBatch; b < BatchesPerEpoch; b++)
        {
            int start = b * BatchSize;
            batch.Count = _ranks > 1 ? BatchSize : Math.Min(BatchSize, _data.Count - start);
            for (int i = 0; i < BatchSize; i++)
            {
                int position = Position(start, i, batch.Count, _rank, _ranks);
                int s = order[position];
                batch.Indices[i] = s;
                var image = batch.Images.AsSpan(i * imageSize, imageSize);
                _data.Images.AsSpan(s * imageSize, imageSize).CopyTo(image);
                var target = batch.Targets.AsSpan(i * targetSize, targetSize);
                if (_data.Labels is not null)
                    target[0] = _data.Labels[s];
                else if (_data.Masks is not null)
                    _data.Masks.AsSpan(s * targetSize, targetSize).CopyTo(target);
                if (_augmentation is not null)
                {
                    // Each position of the epoch has its own counters: 2^16 blocks of four words, far more than a draw takes.
                    var random = new PhiloxRandom(augmentationKey, (ulong)(_ranks > 1 ? position : start + i) << 16);
                    _augmentation.Apply(image, _data.Masks is null ? Span<int>.Empty : target, _data.Channels, _data.Height, _data.Width, random);
                }
            }
            yield return batch;
        }
    }
}
