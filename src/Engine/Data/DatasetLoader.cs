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
/// </summary>
public sealed class DatasetLoader
{
    private readonly IDataset _data;
    private readonly ITransform[] _transforms;
    private readonly (int Channels, int Height, int Width)[] _shapes; // the input's, then after each transform
    private readonly bool _shuffle, _dropLast;
    private readonly ulong _seed;

    /// <summary>Creates the loader; the transforms run in order on every item.</summary>
    /// <exception cref="ArgumentException">A batch size below 1, or transforms that do not fit the items' shape, named.</exception>
    public DatasetLoader(IDataset data, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false, IReadOnlyList<ITransform>? transforms = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be positive, got {batchSize}.");
        if (dropLast && batchSize > data.Count)
            throw new ArgumentException($"Batch size {batchSize} is larger than the {data.Count} items, so dropping the partial batch leaves none.");
        _data = data;
        _transforms = [.. transforms ?? []];
        _shapes = new (int, int, int)[_transforms.Length + 1];
        _shapes[0] = (data.Channels, data.Height, data.Width);
        for (int t = 0; t < _transforms.Length; t++)
            _shapes[t + 1] = _transforms[t].OutputShape(_shapes[t].Channels, _shapes[t].Height, _shapes[t].Width);
        BatchSize = batchSize;
        _shuffle = shuffle;
        _seed = seed;
        _dropLast = dropLast;
    }

    /// <summary>Items per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The batches' images' shape, after the transforms.</summary>
    public (int Channels, int Height, int Width) ImageShape => _shapes[^1];

    /// <summary>Batches per epoch (the last partial one dropped or padded).</summary>
    public int BatchesPerEpoch => _dropLast ? _data.Count / BatchSize : (_data.Count + BatchSize - 1) / BatchSize;

    /// <summary>The order of the dataset in an epoch (<see cref="DataLoader.Order"/>'s).</summary>
    public int[] Order(int epoch) => DataLoader.EpochOrder(_data.Count, _shuffle, _seed, epoch);

    /// <summary>
    /// The batches of one epoch from batch <paramref name="firstBatch"/> on; the batch object is
    /// reused (copy it to keep it). A padded last batch repeats earlier items (<see cref="Batch.Count"/> are real).
    /// </summary>
    /// <exception cref="InvalidDataException">An item that cannot be read: the first in the batch's order, named.</exception>
    public IEnumerable<Batch> Epoch(int epoch, int firstBatch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (firstBatch < 0 || firstBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(firstBatch), firstBatch, $"An epoch has {BatchesPerEpoch} batches.");
        return Batches(epoch, firstBatch);
    }

    private IEnumerable<Batch> Batches(int epoch, int firstBatch)
    {
        var order = Order(epoch);
        ulong key = RandomStreams.Derive(_seed, RandomStream.Augmentation, (ulong)epoch);
        var (channels, height, width) = ImageShape;
        int imageSize = channels * height * width, targetSize = _data.Classes > 0 ? 1 : 0;
        var batch = new Batch(BatchSize, imageSize, targetSize);
        var failures = new Exception?[BatchSize];
        for (int b = firstBatch; b < BatchesPerEpoch; b++)
        {
            int start = b * BatchSize;
            batch.Count = Math.Min(BatchSize, _data.Count - start);
            Array.Clear(failures);
            Parallel.For(0, BatchSize, i =>
            {
                try
                {
                    int index = order[start + (i < batch.Count ? i : i % batch.Count)];
                    batch.Indices[i] = index;
                    // Each item's draws: 2^16 blocks of four words from its own counter, far more than a pipeline takes.
                    int label = ReadTransformed(index, batch.Images.AsSpan(i * imageSize, imageSize), new PhiloxRandom(key, (ulong)index << 16));
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

    // Reads an item and runs the pipeline, each step into a buffer of its output's size, the last into the batch.
    private int ReadTransformed(int index, Span<float> destination, PhiloxRandom random)
    {
        if (_transforms.Length == 0)
            return _data.Read(index, destination);
        var (c, h, w) = _shapes[0];
        float[] current = new float[c * h * w];
        int label = _data.Read(index, current);
        for (int t = 0; t < _transforms.Length; t++)
        {
            var (oc, oh, ow) = _shapes[t + 1];
            float[] next = t == _transforms.Length - 1 ? [] : new float[oc * oh * ow];
            var output = t == _transforms.Length - 1 ? destination : next;
            _transforms[t].Apply(current, c, h, w, output, random);
            (current, c, h, w) = (next, oc, oh, ow);
        }
        return label;
    }
}
