using System.IO.Compression;

namespace Engine.Tests.Infrastructure;

/// <summary>scikit-learn's 8x8 digits (Data/README.md): pixels scaled to [0, 1] and labels.</summary>
public static class Digits
{
    private static readonly Lazy<(float[] Images, int[] Labels)> Data = new(Load);

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
