using StbImageSharp;

namespace Engine.Data;

/// <summary>
/// torchvision's <c>ImageFolder</c>: <c>root/{class}/**/{image}.png|.jpg|.jpeg</c>, one folder per
/// class, classes numbered in the order of their names sorted by code point (Python's
/// <c>sorted</c>), images in the order of their paths within a class. Only the file list is held;
/// each read decodes one file with StbImageSharp, scales its bytes to [0, 1] (as <c>ToTensor</c>)
/// and, when its size is not the dataset's, resizes it bilinearly (<see cref="Resize"/>).
/// </summary>
public sealed class ImageFolderDataset : IDataset
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];
    private readonly (string Path, int Label)[] _items;

    /// <summary>The images under <paramref name="root"/> as <paramref name="channels"/> (1: grey, 3: RGB) x <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <exception cref="ArgumentException">A missing folder, no class folders or no images, or a channel count other than 1 or 3, named.</exception>
    public ImageFolderDataset(string root, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (channels is not (1 or 3))
            throw new ArgumentException($"ImageFolderDataset: images are read as 1 (grey) or 3 (RGB) channels, not {channels}.");
        if (height < 1 || width < 1)
            throw new ArgumentException($"ImageFolderDataset: the size {height}x{width} must be positive.");
        if (!Directory.Exists(root))
            throw new ArgumentException($"ImageFolderDataset: '{root}' is not a folder.");
        ClassNames = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        if (ClassNames.Count == 0)
            throw new ArgumentException($"ImageFolderDataset: '{root}' holds no class folders (one folder of images per class).");
        var items = new List<(string, int)>();
        for (int label = 0; label < ClassNames.Count; label++)
        {
            var folder = Path.Combine(root, ClassNames[label]);
            var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new ArgumentException($"ImageFolderDataset: class folder '{folder}' holds no .png, .jpg or .jpeg file.");
            items.AddRange(files.Select(f => (f, label)));
        }
        _items = [.. items];
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>The class names, index = label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Every image's path, in item order.</summary>
    public IEnumerable<string> Paths => _items.Select(i => i.Path);

    /// <inheritdoc/>
    public int Count => _items.Length;

    /// <inheritdoc/>
    public int Channels { get; }

    /// <inheritdoc/>
    public int Height { get; }

    /// <inheritdoc/>
    public int Width { get; }

    /// <inheritdoc/>
    public int Classes => ClassNames.Count;

    /// <inheritdoc/>
    public int Read(int index, Span<float> image)
    {
        var (path, label) = _items[index];
        ImageResult decoded;
        try
        {
            decoded = ImageResult.FromMemory(File.ReadAllBytes(path), Channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException or OverflowException)
        {
            // StbImageSharp says "unknown image type" or the like, or fails inside a damaged stream.
            throw new InvalidDataException($"'{path}' is not a PNG or JPEG image that can be decoded ({e.Message}).", e);
        }
        int h = decoded.Height, w = decoded.Width, plane = h * w;
        // Interleaved bytes [H, W, C] to planes [C, H, W] in [0, 1].
        var planes = h == Height && w == Width ? image : new float[Channels * plane];
        for (int c = 0; c < Channels; c++)
        {
            for (int p = 0; p < plane; p++)
                planes[c * plane + p] = decoded.Data[p * Channels + c] / 255f;
        }
        if (h != Height || w != Width)
            Resize.Bilinear(planes, Channels, h, w, image, Height, Width);
        return label;
    }
}
