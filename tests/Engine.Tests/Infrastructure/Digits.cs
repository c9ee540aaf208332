using System.IO.Compression;
using Engine.Modules.Layers;

namespace Engine.Tests.Infrastructure;

/// <summary>scikit-learn's 8x8 digits (Data/README.md): pixels scaled to [0, 1] and labels.</summary>
public static class Digits
{
    private static readonly Lazy<(float[] Images, int[] Labels)> Data = new(Load);

    /// <summary>The small convolutional network the digit tests train: 8x8 images to 10 logits.</summary>
    public static Sequential SmallConvNet() => new(
        new Conv2d(1, 16, 3, padding: 1), new BatchNorm2d(16), ReLU.Create(), new MaxPool2d(2),   // 16 x 4 x 4
        new Conv2d(16, 32, 3, padding: 1), ReLU.Create(), new MaxPool2d(2),                                              // 32 x 2 x 2
        new Flatten(), new Linear(128, 10));

    /// <summary>1,797 images of 64 pixels, row-major, and their classes.</summary>
    public static (float[] Images, int[] Labels) All => Data.Value;

    private static (float[] Images, int[] Labels) Load()
    {
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Data", "digits.csv.gz"));
        using var reader = new StreamReader(new GZipStream(file, CompressionMode.Decompress));
        var images = new List<float>();
        var labels = new List<int>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            var fields = line.Split(',');
            if (fields.Length != 65)
                throw new InvalidDataException($"digits.csv.gz: a line has {fields.Length} fields, expected 65.");
            images.AddRange(fields[..64].Select(f => float.Parse(f, System.Globalization.CultureInfo.InvariantCulture) / 16f));
            labels.Add(int.Parse(fields[64], System.Globalization.CultureInfo.InvariantCulture));
        }
        return ([.. images], [.. labels]);
    }

    /// <summary>The first <paramref name="count"/> images and labels.</summary>
    public static (float[] Images, int[] Labels) First(int count) => (All.Images[..(count * 64)], All.Labels[..count]);
}
