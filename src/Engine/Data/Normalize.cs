using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>torchvision's <c>Normalize(mean, std)</c>: <c>(x - mean[c]) / std[c]</c> per channel, in float32 as it computes.</summary>
public sealed class Normalize : ITransform
{
    private readonly float[] _mean, _std;

    /// <summary>One mean and one standard deviation per channel.</summary>
    /// <exception cref="ArgumentException">Lengths that differ, or a standard deviation that is not positive and finite.</exception>
    public Normalize(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize: {mean.Length} means and {std.Length} standard deviations; give one of each per channel.");
        int bad = Array.FindIndex(std, s => !(s > 0 && float.IsFinite(s)));
        if (bad >= 0)
            throw new ArgumentException($"Normalize: std[{bad}] is {std[bad]}; it must be positive and finite.");
        _mean = [.. mean];
        _std = [.. std];
    }

    /// <inheritdoc/>
    public (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) => channels == _mean.Length
        ? (channels, height, width)
        : throw new ArgumentException($"Normalize has {_mean.Length} channel(s) of mean and std; the images have {channels}.");

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<float> input, int channels, int height, int width, Span<float> output, PhiloxRandom random)
    {
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            float mean = _mean[c], std = _std[c];
            for (int i = c * plane; i < (c + 1) * plane; i++)
                output[i] = (input[i] - mean) / std;
        }
    }

    /// <summary>As torchvision prints it, with every value (<c>R</c>): the run's data fingerprint records it.</summary>
    public override string ToString() =>
        $"Normalize(mean=[{string.Join(", ", _mean.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}], std=[{string.Join(", ", _std.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}])";
}
