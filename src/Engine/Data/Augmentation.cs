using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>
/// Random horizontal flips and shifted crops (pad by <see cref="Padding"/> with zeros, crop back to
/// the original size at a random offset), applied identically to an image and its mask so that
/// segmentation targets stay aligned. Padded mask pixels take class 0 (background).
/// </summary>
/// <param name="HorizontalFlip">Flip left-right with probability 1/2.</param>
/// <param name="Padding">Largest shift in pixels, each way; 0 for none.</param>
public sealed record Augmentation(bool HorizontalFlip = true, int Padding = 0)
{
    /// <summary>Augments one image <c>[C, H, W]</c> (and its mask <c>[H, W]</c>) in place.</summary>
    public void Apply(Span<float> image, Span<int> mask, int channels, int height, int width, PhiloxRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        bool flip = HorizontalFlip && random.NextInt(2) == 1;
        int dy = Padding > 0 ? random.NextInclusive(-Padding, Padding) : 0;
        int dx = Padding > 0 ? random.NextInclusive(-Padding, Padding) : 0;
        if (!flip && dx == 0 && dy == 0)
            return;
        int plane = height * width;
        float[] source = image.ToArray();
        for (int c = 0; c < channels; c++)
            Transform<float>(source.AsSpan(c * plane, plane), image.Slice(c * plane, plane), height, width, flip, dy, dx, 0f);
        if (!mask.IsEmpty)
            Transform<int>(mask.ToArray(), mask, height, width, flip, dy, dx, 0);
    }

    // out[y, x] = in[y + dy, x' + dx] where x' = W-1-x when flipped; outside the image: fill.
    private static void Transform<T>(ReadOnlySpan<T> source, Span<T> target, int height, int width, bool flip, int dy, int dx, T fill)
    {
        for (int y = 0; y < height; y++)
        {
            int sy = y + dy;
            for (int x = 0; x < width; x++)
            {
                int sx = (flip ? width - 1 - x : x) + dx;
                target[y * width + x] = sy >= 0 && sy < height && sx >= 0 && sx < width ? source[sy * width + sx] : fill;
            }
        }
    }
}
