namespace Engine.Data;

/// <summary>
/// What a training loop or an evaluation takes batches from: <see cref="DataLoader"/> over an
/// in-memory <see cref="ImageDataset"/> (labels or masks, augmentation) or <see cref="DatasetLoader"/>
/// streaming any <see cref="IDataset"/> through transforms. Both order an epoch alike (a
/// permutation keyed by <c>(seed, epoch)</c>) and resume it at any batch.
/// </summary>
public interface IBatchLoader
{
    /// <summary>Images per batch (per rank when sharded).</summary>
    int BatchSize { get; }

    /// <summary>Batches per epoch.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>
    /// The batches of one epoch from batch <paramref name="firstBatch"/> on; the same
    /// <see cref="Batch"/> object is refilled each time (copy what must outlive the next one).
    /// </summary>
    IEnumerable<Batch> Epoch(int epoch, int firstBatch = 0);
}
