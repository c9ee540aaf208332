using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>
/// torchvision's <c>RandomCrop(size, padding)</c>: pads every side with <see cref="Padding"/>
/// zeros, then takes a <see cref="Height"/> x <see cref="Width"/> window at a uniformly drawn
/// offset (top first, as <c>RandomCrop.get_params</c> draws <c>i</c> then <c>j</c>).
/// </summary>
public sealed class RandomCrop : ITransform
{
    /// <summary>A crop of <paramref name="height"/> x <paramref name="width"/> after <paramref name="padding"/> zeros on every side.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1 or a negative padding.</exception>
    public RandomCrop(int height, int width, int padding = 0)
    {
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), $"RandomCrop: the size {height}x{width} must be positive.");
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Height = height;
        Width = width;
        Padding = padding;
    }

    /// <summary>Rows of the crop.</summary>
    public int Height { get; }

    /// <summary>Columns of the crop.</summary>
    public int Width { get; }

    /// <summary>Zeros added on every side before cropping.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) =>
        height + 2 * Padding >= Height && width + 2 * Padding >= Width
            ? (channels, Height, Width)
            : throw new ArgumentException($"RandomCrop: a {Height}x{Width} crop is larger than the {height}x{width} images padded by {Padding}.");

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<float> input, int channels, int height, int width, Span<float> output, PhiloxRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        // The window's corner in the padded image, then in the input's coordinates.
        int top = random.NextInt(height + 2 * Padding - Height + 1) - Padding;
        int left = random.NextInt(width + 2 * Padding - Width + 1) - Padding;
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < Height; y++)
            {
                int sy = top + y;
                for (int x = 0; x < Width; x++)
                {
                    int sx = left + x;
                    output[(c * Height + y) * Width + x] = sy >= 0 && sy < height && sx >= 0 && sx < width ? input[(c * height + sy) * width + sx] : 0f;
                }
            }
        }
    }

    /// <summary>As torchvision prints it: the run's data fingerprint records it.</summary>
    public override string ToString() => $"RandomCrop(size=({Height}, {Width}), padding={Padding})";
}
