using Engine.IO;
using StbImageWriteSharp;

namespace Engine.Cli.Imaging;

/// <summary>An 8-bit RGB image built in memory and written as PNG (atomically, with StbImageWriteSharp).</summary>
internal sealed class RgbImage
{
    private readonly byte[] _pixels;

    internal RgbImage(int width, int height, byte background = 255)
    {
        Width = width;
        Height = height;
        _pixels = new byte[width * height * 3];
        Array.Fill(_pixels, background);
    }

    internal int Width { get; }
    internal int Height { get; }

    /// <summary>Sets a pixel from a grey level in [0, 1] (clamped).</summary>
    internal void SetGrey(int x, int y, float value)
    {
        byte v = (byte)Math.Clamp(MathF.Round(value * 255f), 0f, 255f);
        Set(x, y, v, v, v);
    }

    internal void Set(int x, int y, byte r, byte g, byte b)
    {
        int at = (y * Width + x) * 3;
        _pixels[at] = r;
        _pixels[at + 1] = g;
        _pixels[at + 2] = b;
    }

    /// <summary>Mixes a colour into a pixel with weight <paramref name="alpha"/>.</summary>
    internal void Blend(int x, int y, byte r, byte g, byte b, float alpha)
    {
        int at = (y * Width + x) * 3;
        _pixels[at] = (byte)(_pixels[at] * (1 - alpha) + r * alpha);
        _pixels[at + 1] = (byte)(_pixels[at + 1] * (1 - alpha) + g * alpha);
        _pixels[at + 2] = (byte)(_pixels[at + 2] * (1 - alpha) + b * alpha);
    }

    /// <summary>Draws a grey image <c>[h, w]</c> (values in [0, 1]) with its top-left corner at (x0, y0).</summary>
    internal void DrawGrey(ReadOnlySpan<float> image, int h, int w, int x0, int y0)
    {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                SetGrey(x0 + x, y0 + y, image[y * w + x]);
    }

    /// <summary>Writes the image as PNG; the file appears whole or not at all.</summary>
    internal void SavePng(string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        using var png = new MemoryStream();
        new ImageWriter().WritePng(_pixels, Width, Height, ColorComponents.RedGreenBlue, png);
        AtomicFile.WriteAllBytes(path, png.ToArray());
    }

    /// <summary>
    /// Lays out <paramref name="count"/> grey images <c>[h, w]</c> (consecutive in <paramref name="images"/>)
    /// in rows of <paramref name="columns"/>, <paramref name="gap"/> pixels apart.
    /// </summary>
    internal static RgbImage Grid(ReadOnlySpan<float> images, int count, int h, int w, int columns, int gap = 2)
    {
        int rows = (count + columns - 1) / columns;
        var grid = new RgbImage(columns * (w + gap) + gap, rows * (h + gap) + gap);
        for (int i = 0; i < count; i++)
            grid.DrawGrey(images.Slice(i * h * w, h * w), h, w, gap + i % columns * (w + gap), gap + i / columns * (h + gap));
        return grid;
    }
}
