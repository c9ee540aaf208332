using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>
/// A dataset whose items pass through transforms, as torchvision's <c>transform=</c> argument:
/// <c>new TransformedDataset(new ImageFolderDataset(root, 3, 64, 64), [new RandomCrop(56, 56), new Normalize(mean, std)])</c>.
/// Its shape is the last transform's output. A <see cref="DatasetLoader"/> (and so a
/// training run) draws each item's random transforms from a generator keyed by
/// <c>(seed, epoch, item index)</c>, new crops every epoch; read on its own (<see cref="Read(int, Span{float})"/>, an
/// evaluation) it draws as a loader with seed 0 in epoch 0 does, so the same item always gives the
/// same image.
/// </summary>
public sealed class TransformedDataset : IDataset
{
    private readonly (int Channels, int Height, int Width)[] _shapes; // the source's, then after each transform

    /// <summary>The items of <paramref name="source"/> through <paramref name="transforms"/>, in order.</summary>
    /// <exception cref="ArgumentException">Transforms that do not fit the items' shape, named.</exception>
    public TransformedDataset(IDataset source, IReadOnlyList<ITransform> transforms)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(transforms);
        // Transforms of transformed items: one pipeline, so a loader keys every random step alike.
        Source = source is TransformedDataset inner ? inner.Source : source;
        Transforms = source is TransformedDataset outer ? [.. outer.Transforms, .. transforms] : [.. transforms];
        _shapes = new (int, int, int)[Transforms.Count + 1];
        _shapes[0] = (Source.Channels, Source.Height, Source.Width);
        for (int t = 0; t < Transforms.Count; t++)
            _shapes[t + 1] = Transforms[t].OutputShape(_shapes[t].Channels, _shapes[t].Height, _shapes[t].Width);
    }

    /// <summary>The untransformed items.</summary>
    public IDataset Source { get; }

    /// <summary>The pipeline, in order.</summary>
    public IReadOnlyList<ITransform> Transforms { get; }

    /// <inheritdoc/>
    public int Count => Source.Count;

    /// <inheritdoc/>
    public int Channels => _shapes[^1].Channels;

    /// <inheritdoc/>
    public int Height => _shapes[^1].Height;

    /// <inheritdoc/>
    public int Width => _shapes[^1].Width;

    /// <inheritdoc/>
    public int Classes => Source.Classes;

    /// <summary>The key of epoch <paramref name="epoch"/>'s random transforms under <paramref name="seed"/>; item i draws from counter <c>i · 2^16</c>.</summary>
    internal static ulong EpochKey(ulong seed, int epoch) => RandomStreams.Derive(seed, RandomStream.Augmentation, (ulong)epoch);

    /// <summary>Reads item <paramref name="index"/> through the transforms, drawing as a loader with seed 0 does in epoch 0.</summary>
    public int Read(int index, Span<float> image) => Read(index, image, EpochKey(0, 0));

    /// <summary>Reads item <paramref name="index"/> through the transforms, its random draws from <paramref name="epochKey"/>'s counters for the item.</summary>
    internal int Read(int index, Span<float> image, ulong epochKey)
    {
        // Each item's draws: 2^16 blocks of four words from its own counter, far more than a pipeline takes.
        var random = new PhiloxRandom(epochKey, (ulong)index << 16);
        var (c, h, w) = _shapes[0];
        if (Transforms.Count == 0)
            return Source.Read(index, image);
        float[] current = new float[c * h * w];
        int label = Source.Read(index, current);
        for (int t = 0; t < Transforms.Count; t++)
        {
            var (oc, oh, ow) = _shapes[t + 1];
            bool last = t == Transforms.Count - 1;
            float[] next = last ? [] : new float[oc * oh * ow];
            Transforms[t].Apply(current, c, h, w, last ? image : next, random);
            (current, c, h, w) = (next, oc, oh, ow);
        }
        return label;
    }
}
