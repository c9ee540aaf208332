using Engine.Analysis;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Analysis;

/// <summary>Trustworthiness (host code) on cases computed by hand.</summary>
[DeviceIndependent("Trustworthiness is host code in float64; no device computes it.")]
public sealed class TrustworthinessTests
{
    // Four points on a line, 0, 1, 3, 7: every distance differs, so the ranks are unambiguous.
    private static readonly float[] Line = [0f, 1f, 3f, 7f];

    [Fact]
    public void AnEmbeddingThatKeepsTheOrderScoresOne() =>
        Assert.Equal(1.0, Trustworthiness.Compute(Line, 1, [0f, 2f, 6f, 14f], 1, k: 1));

    [Fact]
    public void SwappingTwoPointsCostsTheirRanks()
    {
        // Points 1 and 3 trade places: embedded, 0 sits at 0, 3 at 1, 2 at 3, 1 at 7. With k = 1 the
        // nearest embedded neighbour and its input rank (of 3) are: 0 -> 3 (rank 3), 1 -> 2 (rank 2),
        // 2 -> 3 (rank 3), 3 -> 0 (rank 3); the penalties r - k sum to 2 + 1 + 2 + 2 = 7, and the
        // normaliser 2 / (n k (2n - 3k - 1)) is 2 / (4 * 1 * 4) = 1/8, so T = 1 - 7/8.
        Assert.Equal(0.125, Trustworthiness.Compute(Line, 1, [0f, 7f, 3f, 1f], 1, k: 1), 12);
    }

    [Fact]
    public void NeighboursInTwoDimensionsAreRankedByEuclideanDistance()
    {
        // A square's corners and its mirror image: distances are kept, so T = 1 for k = 1 and 2.
        float[] square = [0f, 0f, 2f, 0f, 0f, 1f, 2f, 1f, 5f, 5f];
        float[] mirrored = square.Select((v, i) => i % 2 == 0 ? -v : v).ToArray();
        Assert.Equal(1.0, Trustworthiness.Compute(square, 2, mirrored, 2, k: 1));
        Assert.Equal(1.0, Trustworthiness.Compute(square, 2, mirrored, 2, k: 2));
    }

    [Fact]
    public void KMustBeBelowHalfThePoints()
    {
        Assert.Contains("k = 2 must be at least 1 and below half the number of points, 4 / 2",
            Assert.Throws<ArgumentException>(() => Trustworthiness.Compute(Line, 1, Line, 1, k: 2)).Message);
        Assert.Contains("4 input points but 3 embedded points",
            Assert.Throws<ArgumentException>(() => Trustworthiness.Compute(Line, 1, [0f, 1f, 2f], 1, k: 1)).Message);
    }
}
