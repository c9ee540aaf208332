using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>
/// torchvision's <c>Resize((height, width), antialias=False)</c> on tensors: bilinear interpolation
/// with half-pixel centres (<c>align_corners=False</c>), as <c>F.interpolate(mode="bilinear")</c>:
/// output pixel <c>d</c> samples the input at <c>max(0, (d + 0.5) * in / out - 0.5)</c>, its two
/// neighbours clamped to the edge.
/// </summary>
public sealed class Resize : ITransform
{
    /// <summary>Resizes to <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1.</exception>
    public Resize(int height, int width)
    {
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), $"Resize: the size {height}x{width} must be positive.");
        Height = height;
        Width = width;
    }

    /// <summary>Rows of the output.</summary>
    public int Height { get; }

    /// <summary>Columns of the output.</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) => (channels, Height, Width);

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<float> input, int channels, int height, int width, Span<float> output, PhiloxRandom random) =>
        Bilinear(input, channels, height, width, output, Height, Width);

    /// <summary>Bilinear resizing of <c>[C, H, W]</c> to <c>[C, outHeight, outWidth]</c> (see <see cref="Resize"/>).</summary>
    public static void Bilinear(ReadOnlySpan<float> input, int channels, int height, int width, Span<float> output, int outHeight, int outWidth)
    {
        float scaleY = (float)height / outHeight, scaleX = (float)width / outWidth;
        for (int y = 0; y < outHeight; y++)
        {
            var (y0, y1, ly) = Source(y, scaleY, height);
            for (int x = 0; x < outWidth; x++)
            {
                var (x0, x1, lx) = Source(x, scaleX, width);
                for (int c = 0; c < channels; c++)
                {
                    var plane = input.Slice(c * height * width, height * width);
                    float top = (1 - lx) * plane[y0 * width + x0] + lx * plane[y0 * width + x1];
                    float bottom = (1 - lx) * plane[y1 * width + x0] + lx * plane[y1 * width + x1];
                    output[(c * outHeight + y) * outWidth + x] = (1 - ly) * top + ly * bottom;
                }
            }
        }
    }

    // PyTorch's area_pixel_compute_source_index for align_corners=False, and the two neighbours with the weight of the second.
    private static (int Low, int High, float Weight) Source(int destination, float scale, int size)
    {
        float source = Math.Max(0f, (destination + 0.5f) * scale - 0.5f);
        int low = Math.Min((int)source, size - 1);
        int high = Math.Min(low + 1, size - 1);
        return (low, high, source - low);
    }

    /// <summary>As torchvision prints it: the run's data fingerprint records it.</summary>
    public override string ToString() => $"Resize(size=({Height}, {Width}), interpolation=bilinear)";
}
