using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>
/// M2NIST-style multi-class segmentation data: 1 to <c>maxPerImage</c> labelled single-channel
/// images (MNIST digits) pasted at random places on a black canvas, each pixel labelled with its
/// digit's class plus one where the digit's intensity is at least <see cref="InkThreshold"/>, and
/// <see cref="Background"/> (0) elsewhere; with ten digit classes that is 11 classes. The layout
/// is synthetic; the digits are real. Digits never overlap: each one's ink box (the rows and
/// columns holding ink) is placed clear of the others', so every label is unambiguous; a digit
/// that finds no clear place within a number of tries is left out. Composite <c>i</c> is drawn
/// from its own generator keyed by <c>(seed, i)</c>, so any subset is reproducible by itself.
/// </summary>
public static class DigitComposites
{
    /// <summary>The background's class; digit class <c>d</c> becomes <c>d + 1</c>.</summary>
    public const int Background = 0;

    /// <summary>Pixels of a digit at or above this intensity (of 1) are labelled with its class.</summary>
    public const float InkThreshold = 0.5f;

    private const int Tries = 50;

    /// <summary>Builds <paramref name="count"/> composites of <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <param name="digits">Single-channel labelled images (values in [0, 1]), drawn from with replacement.</param>
    /// <param name="count">Composites to build.</param>
    /// <param name="height">Canvas rows.</param>
    /// <param name="width">Canvas columns.</param>
    /// <param name="seed">The layout's seed.</param>
    /// <param name="maxPerImage">Most digits on one canvas (at least 1 each).</param>
    /// <returns>Images <c>[count, 1, height, width]</c> with masks, <c>digits.Classes + 1</c> classes.</returns>
    public static ImageDataset Build(ImageDataset digits, int count, int height, int width, ulong seed, int maxPerImage = 3)
    {
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Labels is null || digits.Channels != 1 || digits.Count == 0 || digits.Classes < 1)
            throw new ArgumentException($"Composites are built from labelled single-channel images; got {digits.Count} images of {digits.Channels} channels{(digits.Labels is null ? " without labels" : "")}.");
        if (count <= 0 || maxPerImage <= 0)
            throw new ArgumentException($"Composites: count ({count}) and digits per image ({maxPerImage}) must be positive.");
        if (height < digits.Height || width < digits.Width)
            throw new ArgumentException($"Composites: a {height}x{width} canvas cannot hold a {digits.Height}x{digits.Width} digit.");
        long pixels = checked((long)count * height * width);
        if (pixels > Array.MaxLength)
            throw new ArgumentException($"Composites: {count} canvases of {height}x{width} are {pixels:N0} pixels, more than one array holds.");
        var images = new float[pixels];
        var masks = new int[pixels];
        var boxes = new List<(int Top, int Left, int Bottom, int Right)>(maxPerImage);
        for (int i = 0; i < count; i++)
        {
            var random = new PhiloxRandom(RandomStreams.Derive(seed, RandomStream.Dataset, (ulong)i));
            int wanted = random.NextInclusive(1, maxPerImage);
            var canvas = images.AsSpan(i * height * width, height * width);
            var mask = masks.AsSpan(i * height * width, height * width);
            boxes.Clear();
            for (int placed = 0, tries = 0; placed < wanted && tries < Tries * wanted; tries++)
            {
                int source = random.NextInt(digits.Count);
                var ink = InkBox(digits, source);
                if (ink is not var (top0, left0, bottom0, right0))
                    continue; // a blank image has nothing to place
                int top = random.NextInclusive(0, height - (bottom0 - top0)) - top0;
                int left = random.NextInclusive(0, width - (right0 - left0)) - left0;
                var box = (top + top0, left + left0, top + bottom0, left + right0); // half-open
                if (boxes.Any(b => b.Top < box.Item3 && box.Item1 < b.Bottom && b.Left < box.Item4 && box.Item2 < b.Right))
                    continue;
                boxes.Add(box);
                Paste(digits, source, canvas, mask, height, width, top, left);
                placed++;
            }
        }
        return new ImageDataset(images, count, 1, height, width, digits.Classes + 1, masks: masks);
    }

    /// <summary>The class names: background, then the digits' names.</summary>
    public static IReadOnlyList<string> ClassNames(IReadOnlyList<string> digitClasses) => ["background", .. digitClasses];

    /// <summary>The half-open box of rows and columns of <paramref name="index"/> that hold ink, or null for a blank image.</summary>
    private static (int Top, int Left, int Bottom, int Right)? InkBox(ImageDataset digits, int index)
    {
        int h = digits.Height, w = digits.Width, top = h, left = w, bottom = 0, right = 0;
        var image = digits.Images.AsSpan(index * digits.ImageSize, digits.ImageSize);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                if (image[y * w + x] >= InkThreshold)
                {
                    (top, left) = (Math.Min(top, y), Math.Min(left, x));
                    (bottom, right) = (Math.Max(bottom, y + 1), Math.Max(right, x + 1));
                }
            }
        }
        return bottom == 0 ? null : (top, left, bottom, right);
    }

    /// <summary>Draws digit <paramref name="index"/> with its top-left at (top, left): the brighter value wins; ink takes the class.</summary>
    private static void Paste(ImageDataset digits, int index, Span<float> canvas, Span<int> mask, int height, int width, int top, int left)
    {
        int h = digits.Height, w = digits.Width, label = digits.Labels![index] + 1;
        var image = digits.Images.AsSpan(index * digits.ImageSize, digits.ImageSize);
        for (int y = 0; y < h; y++)
        {
            int cy = top + y;
            if (cy < 0 || cy >= height)
                continue;
            for (int x = 0; x < w; x++)
            {
                int cx = left + x;
                if (cx < 0 || cx >= width)
                    continue;
                float v = image[y * w + x];
                int at = cy * width + cx;
                canvas[at] = Math.Max(canvas[at], v);
                if (v >= InkThreshold)
                    mask[at] = label;
            }
        }
    }
}
