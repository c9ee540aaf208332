using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>torchvision's <c>RandomHorizontalFlip(p)</c>: mirrors the columns with probability <c>p</c>.</summary>
public sealed class RandomHorizontalFlip : ITransform
{
    /// <summary>Flips with probability <paramref name="probability"/> (default 1/2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A probability outside [0, 1].</exception>
    public RandomHorizontalFlip(double probability = 0.5)
    {
        if (!(probability is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "RandomHorizontalFlip: the probability must lie in [0, 1].");
        Probability = probability;
    }

    /// <summary>The probability of a flip.</summary>
    public double Probability { get; }

    /// <inheritdoc/>
    public (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) => (channels, height, width);

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<float> input, int channels, int height, int width, Span<float> output, PhiloxRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        bool flip = random.NextDouble() < Probability; // as torch.rand(1) < p
        for (int row = 0; row < channels * height; row++)
        {
            var from = input.Slice(row * width, width);
            var to = output.Slice(row * width, width);
            from.CopyTo(to);
            if (flip)
                to.Reverse();
        }
    }

    /// <summary>As torchvision prints it: the run's data fingerprint records it.</summary>
    public override string ToString() => $"RandomHorizontalFlip(p={Probability.ToString("R", System.Globalization.CultureInfo.InvariantCulture)})";
}
