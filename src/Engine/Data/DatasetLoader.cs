using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>
/// Batches streamed from an <see cref="IDataset"/> through <see cref="ITransform"/>s, as PyTorch's
/// DataLoader over a map-style dataset: only the items of the current batch are read (on several
/// threads), so memory stays one batch whatever the dataset's size. The order is
/// <see cref="DataLoader"/>'s (a permutation per epoch keyed by <c>(seed, epoch)</c>; a resumed
/// epoch skips to its batch), and each item's random transforms draw from a generator keyed by
/// <c>(seed, epoch, item index)</c>: the same seed gives the same bits on any number of threads,
/// and an in-memory <see cref="ImageDataset"/> streams exactly the batches <see cref="DataLoader"/> gives it.
/// A <see cref="TransformedDataset"/>'s transforms run as the loader's own (before them), keyed alike.
/// <para>
/// Sharded for data-parallel training (<c>rank</c> of <c>ranks</c>) as <see cref="DataLoader"/> is:
/// batch b of the ranks together holds the items of batch b of one loader with batch
/// <c>ranks * BatchSize</c>, transformed identically (the draws are keyed by the item).
/// </para>
/// </summary>
public sealed class DatasetLoader : IBatchLoader
{
    private readonly IDataset _source; // the untransformed items
    private readonly TransformedDataset? _pipeline; // the transforms, when there are any
    private readonly bool _shuffle, _dropLast;
    private readonly ulong _seed;
    private readonly int _rank, _ranks;

    /// <summary>Creates the loader; the transforms run in order on every item.</summary>
    /// <param name="data">The dataset (a <see cref="TransformedDataset"/>'s transforms run first).</param>
    /// <param name="batchSize">Items per batch (per rank when sharded).</param>
    /// <param name="shuffle">A fresh permutation per epoch.</param>
    /// <param name="seed">The run's seed (permutations and random transforms).</param>
    /// <param name="dropLast">Drop the last partial batch instead of padding it.</param>
    /// <param name="transforms">Transforms after the dataset's own.</param>
    /// <param name="rank">This rank's shard (data-parallel training), 0 .. <paramref name="ranks"/> - 1.</param>
    /// <param name="ranks">Number of shards; above 1 needs <paramref name="dropLast"/>, so that every rank takes the same steps.</param>
    /// <exception cref="ArgumentException">A batch size below 1, a rank outside its range, or transforms that do not fit the items' shape, named.</exception>
    public DatasetLoader(IDataset data, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false, IReadOnlyList<ITransform>? transforms = null,
        int rank = 0, int ranks = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        DataLoader.CheckBatching(data.Count, batchSize, dropLast, rank, ranks, "items");
        _pipeline = transforms is { Count: > 0 } ? new TransformedDataset(data, transforms) : data as TransformedDataset;
        _source = _pipeline?.Source ?? data;
        ImageShape = _pipeline is { } p ? (p.Channels, p.Height, p.Width) : (data.Channels, data.Height, data.Width);
        BatchSize = batchSize;
        _shuffle = shuffle;
        _seed = seed;
        _dropLast = dropLast;
        _rank = rank;
        _ranks = ranks;
    }

    /// <summary>Items per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The batches' images' shape, after the transforms.</summary>
    public (int Channels, int Height, int Width) ImageShape { get; }

    /// <summary>Batches per epoch (the last partial one dropped or padded).</summary>
    public int BatchesPerEpoch => DataLoader.BatchCount(_source.Count, BatchSize, _dropLast, _ranks);

    /// <summary>The order of the dataset in an epoch (<see cref="DataLoader.Order"/>'s).</summary>
    public int[] Order(int epoch) => DataLoader.EpochOrder(_source.Count, _shuffle, _seed, epoch);

    /// <summary>
    /// The batches of one epoch from batch <paramref name="firstBatch"/> on; the batch object is
    /// reused (copy it to keep it). A padded last batch repeats earlier items (<see cref="Batch.Count"/> are real).
    /// </summary>
    /// <exception cref="InvalidDataException">An item that cannot be read: the first in the batch's order, named.</exception>
    public IEnumerable<Batch> Epoch(int epoch, int firstBatch = 0)
    {
        DataLoader.CheckEpoch(epoch, firstBatch, BatchesPerEpoch);
        return Batches(epoch, firstBatch, 1);
    }

    /// <summary>
    /// Batches <paramref name="firstBatch"/>, <paramref name="firstBatch"/> + <paramref name="stride"/>, ...
    /// of one epoch (none when the first lies beyond it): each exactly as <see cref="Epoch"/> gives it.
    /// A <see cref="MultiSizeLoader"/> takes every K-th batch of one size from each of its K loaders.
    /// </summary>
    internal IEnumerable<Batch> Batches(int epoch, int firstBatch, int stride)
    {
        var order = Order(epoch);
        ulong key = TransformedDataset.EpochKey(_seed, epoch);
        var (channels, height, width) = ImageShape;
        int imageSize = channels * height * width, targetSize = _source.Classes > 0 ? 1 : 0;
        var batch = new Batch(BatchSize, ImageShape, targetSize);
        var failures = new Exception?[BatchSize];
        for (int b = firstBatch; b < BatchesPerEpoch; b += stride)
        {
            int start = b * BatchSize;
            batch.Count = _ranks > 1 ? BatchSize : Math.Min(BatchSize, _source.Count - start);
            Array.Clear(failures);
            Parallel.For(0, BatchSize, i =>
            {
                try
                {
                    int index = order[DataLoader.Position(start, i, batch.Count, _rank, _ranks)];
                    batch.Indices[i] = index;
                    var image = batch.Images.AsSpan(i * imageSize, imageSize);
                    int label = _pipeline is { } pipeline ? pipeline.Read(index, image, key) : _source.Read(index, image);
                    if (targetSize == 1)
                        batch.Targets[i] = label;
                }
                catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
                {
                    failures[i] = e;
                }
            });
            if (failures.FirstOrDefault(f => f is not null) is { } failure)
                throw failure is InvalidDataException ? failure : new InvalidDataException(failure.Message, failure);
            yield return batch;
        }
    }
}
