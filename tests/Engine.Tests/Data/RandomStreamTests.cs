using Engine.Tests.Infrastructure;
using Engine.Kernels.Random;
using Engine.Ops.Random;

namespace Engine.Tests.Data;

/// <summary>The seed mixer and the host Philox streams that shuffling, augmentation and sampling draw from.</summary>
[DeviceIndependent("the seed mixer and Philox streams run on the host")]
public sealed class RandomStreamTests
{
    /// <summary>SplitMix64's finaliser, written out independently of the engine's.</summary>
    private static ulong SplitMix(ulong z)
    {
        z ^= z >> 30;
        z *= 0xBF58476D1CE4E5B9UL;
        z ^= z >> 27;
        z *= 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [Fact]
    public void KeysFollowTheDocumentedMixer()
    {
        const ulong golden = 0x9E3779B97F4A7C15UL;
        foreach (ulong seed in new ulong[] { 0, 1, 42, ulong.MaxValue })
        {
            foreach (var stream in Enum.GetValues<RandomStream>())
            {
                for (ulong epoch = 0; epoch < 3; epoch++)
                    Assert.Equal(SplitMix((SplitMix(SplitMix(seed + golden) ^ (ulong)stream) + golden) ^ epoch), RandomStreams.Derive(seed, stream, epoch));
            }
        }
        // Distinct streams, epochs and seeds give distinct keys.
        var keys = new HashSet<ulong>();
        for (ulong seed = 0; seed < 50; seed++)
            foreach (var stream in Enum.GetValues<RandomStream>())
                for (ulong epoch = 0; epoch < 20; epoch++)
                    Assert.True(keys.Add(RandomStreams.Derive(seed, stream, epoch)));
    }

    [Fact]
    public void PhiloxMatchesTheRandom123KnownAnswer()
    {
        // Salmon et al.'s known-answer test for Philox4x32-10: counter 0, key 0.
        Philox.Generate(0, 0, out uint r0, out uint r1, out uint r2, out uint r3);
        Assert.Equal([0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u], new[] { r0, r1, r2, r3 });
        var stream = new PhiloxRandom(0);
        Assert.Equal([0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u], Enumerable.Range(0, 4).Select(_ => stream.NextUInt32()));
    }

    [Fact]
    public void BoundedIntegersAreUniformAndShufflesArePermutations()
    {
        var random = new PhiloxRandom(RandomStreams.Derive(7, RandomStream.Shuffle));
        const int bound = 6, draws = 60_000;
        var counts = new int[bound];
        for (int i = 0; i < draws; i++)
            counts[random.NextInt(bound)]++;
        // Chi-square with 5 degrees of freedom: 20.5 is its 0.999 quantile.
        double chi = counts.Sum(c => (c - draws / (double)bound) * (c - draws / (double)bound) / (draws / (double)bound));
        Assert.True(chi < 20.5, $"chi-square {chi:F1}: [{string.Join(", ", counts)}]");
        Assert.All(Enumerable.Range(0, 1000).Select(_ => random.NextInclusive(-2, 2)), v => Assert.InRange(v, -2, 2));
        Assert.All(Enumerable.Range(0, 1000).Select(_ => random.NextDouble()), v => Assert.InRange(v, 0.0, 1.0 - 1e-17));

        int[] order = Enumerable.Range(0, 100).ToArray();
        new PhiloxRandom(3).Shuffle(order.AsSpan());
        Assert.Equal(Enumerable.Range(0, 100), order.Order());
        int[] again = Enumerable.Range(0, 100).ToArray();
        new PhiloxRandom(3).Shuffle(again.AsSpan());
        Assert.Equal(order, again);
        Assert.NotEqual(Enumerable.Range(0, 100), order);
    }

    [Fact]
    public void AStreamCanStartAnywhere()
    {
        // The counter is the position: starting at counter 5 gives what the 21st word onwards of a stream from 0 gives.
        var whole = new PhiloxRandom(99);
        var words = Enumerable.Range(0, 40).Select(_ => whole.NextUInt32()).ToArray();
        var later = new PhiloxRandom(99, counter: 5);
        Assert.Equal(words[20..], Enumerable.Range(0, 20).Select(_ => later.NextUInt32()));
    }
}
