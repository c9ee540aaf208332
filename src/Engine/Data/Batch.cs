namespace Engine.Data;

/// <summary>
/// One batch in host memory, reused from batch to batch: images <c>[B, C, H, W]</c> and targets
/// (<c>[B]</c> labels, <c>[B, H, W]</c> masks, or none). When the data runs out before B images
/// (the last batch of an evaluation pass) only the first <see cref="Count"/> are real; the rest
/// repeat earlier ones so that per-image outputs stay valid and can be ignored.
/// </summary>
public sealed class Batch
{
    internal Batch(int size, (int Channels, int Height, int Width) imageShape, int targetSize)
    {
        ImageShape = imageShape;
        int imageSize = imageShape.Channels * imageShape.Height * imageShape.Width;
        Images = new float[size * imageSize];
        Targets = new int[size * targetSize];
        Indices = new int[size];
    }

    /// <summary>Pixel values <c>[B, C, H, W]</c>.</summary>
    public float[] Images { get; }

    /// <summary>Labels <c>[B]</c> or masks <c>[B, H, W]</c>; empty without targets.</summary>
    public int[] Targets { get; }

    /// <summary>Dataset index of each row.</summary>
    public int[] Indices { get; }

    /// <summary>One image's <c>[C, H, W]</c>: the batches of a <see cref="MultiSizeDataset"/> differ in it.</summary>
    public (int Channels, int Height, int Width) ImageShape { get; }

    /// <summary>Real images in this batch (the rest are padding).</summary>
    public int Count { get; internal set; }

    /// <summary>A copy that the loader's next batch does not overwrite (to keep a batch beyond its step).</summary>
    public Batch Copy()
    {
        var copy = new Batch(Indices.Length, ImageShape, Targets.Length / Math.Max(Indices.Length, 1)) { Count = Count };
        Images.CopyTo(copy.Images, 0);
        Targets.CopyTo(copy.Targets, 0);
        Indices.CopyTo(copy.Indices, 0);
        return copy;
    }
}
