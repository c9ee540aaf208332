namespace Engine.Data;

/// <summary>
/// Batches of a <see cref="MultiSizeDataset"/>, each of one size: batch b of an epoch holds the
/// items <see cref="DatasetLoader"/> would put in batch b (one permutation per epoch keyed by
/// <c>(seed, epoch)</c>) at size <c>b mod K</c>, so every size gets every K-th batch, an item meets
/// the sizes in turn over the epochs, and a resumed epoch starts at any batch with the same bits.
/// One <see cref="DatasetLoader"/> per size reads its batches; each refills its own
/// <see cref="Batch"/>, whose <see cref="Batch.ImageShape"/> says the size.
/// </summary>
public sealed class MultiSizeLoader : IBatchLoader
{
    private readonly DatasetLoader[] _sizes;

    /// <summary>Creates the loader (one process: a data-parallel run takes one size).</summary>
    /// <param name="data">The dataset and its sizes.</param>
    /// <param name="batchSize">Items per batch.</param>
    /// <param name="shuffle">A fresh permutation per epoch.</param>
    /// <param name="seed">The run's seed (permutations, and the source's random transforms if any).</param>
    /// <param name="dropLast">Drop the last partial batch instead of padding it.</param>
    public MultiSizeLoader(MultiSizeDataset data, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        _sizes = [.. Enumerable.Range(0, data.Sizes.Count).Select(k => new DatasetLoader(data.At(k), batchSize, shuffle, seed, dropLast))];
        BatchSize = batchSize;
    }

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <inheritdoc/>
    public int BatchesPerEpoch => _sizes[0].BatchesPerEpoch;

    /// <inheritdoc/>
    public IEnumerable<Batch> Epoch(int epoch, int firstBatch = 0)
    {
        DataLoader.CheckEpoch(epoch, firstBatch, BatchesPerEpoch);
        return Batches(epoch, firstBatch);
    }

    private IEnumerable<Batch> Batches(int epoch, int firstBatch)
    {
        int sizes = _sizes.Length;
        // Size k's loader yields batches k, k + K, ... from the first at or after firstBatch.
        var streams = new IEnumerator<Batch>[sizes];
        try
        {
            for (int k = 0; k < sizes; k++)
            {
                int first = firstBatch + ((k - firstBatch % sizes) % sizes + sizes) % sizes;
                streams[k] = _sizes[k].Batches(epoch, first, sizes).GetEnumerator();
            }
            for (int b = firstBatch; b < BatchesPerEpoch; b++)
            {
                var stream = streams[b % sizes];
                if (!stream.MoveNext())
                    throw new InvalidOperationException($"The loader of size {b % sizes} ended before batch {b}."); // cannot happen: the loaders count alike
                yield return stream.Current;
            }
        }
        finally
        {
            foreach (var stream in streams)
                stream?.Dispose();
        }
    }
}
