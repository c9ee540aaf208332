using Engine.Tests.Infrastructure;
using Engine.Kernels;

namespace Engine.Tests.Kernels;

/// <summary>
/// The multiply-shift division the convolution gathers use (<see cref="FastDivisor"/>) equals integer
/// division for every numerator in [0, 2^31) and every positive divisor: checked exhaustively for small
/// divisors over their critical numerators (multiples and their neighbours) and on seeded samples up to
/// 2^31 - 1.
/// </summary>
[DeviceIndependent("it checks the host-made multiply-shift constants in host arithmetic")]
public sealed class FastDivisorTests
{
    [Fact]
    public void DividesLikeIntegerDivisionAtTheEdges()
    {
        var divisors = Enumerable.Range(1, 300)
            .Concat(Enumerable.Range(1, 30).SelectMany(b => new[] { (1 << b) - 1, 1 << b, (1 << b) + 1 }))
            .Append(int.MaxValue).Append(int.MaxValue - 1).Append(46341).Append(3 * 3 * 512).Append(572 * 572)
            .Where(d => d > 0).Distinct();
        foreach (int d in divisors)
        {
            var f = new FastDivisor(d);
            foreach (long n in Numerators(d))
            {
                int q = f.DivRem((int)n, out int r);
                Assert.True(q == n / d && r == n % d, $"{n} / {d}: got {q} remainder {r}, want {n / d} remainder {n % d}");
            }
        }
    }

    [Fact]
    public void DividesLikeIntegerDivisionOnSamples()
    {
        var random = new Random(2024);
        for (int i = 0; i < 200_000; i++)
        {
            int d = random.Next(1, int.MaxValue);
            if (i % 2 == 0)
                d = 1 + d % 4096; // the divisors convolutions have: taps, widths, planes
            int n = random.Next(0, int.MaxValue);
            Assert.Equal(n / d, new FastDivisor(d).Divide(n));
        }
    }

    [Fact]
    public void RefusesDivisorsThatAreNotPositive()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FastDivisor(0));
        Assert.Contains("positive", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FastDivisor(-3));
    }

    // 0, 1, the largest numerator, and every multiple of d near the start and the end of the range with its neighbours.
    private static IEnumerable<long> Numerators(int d)
    {
        yield return 0;
        yield return 1;
        yield return int.MaxValue;
        yield return int.MaxValue - 1;
        for (long m = 1; m <= 64; m++)
        {
            foreach (long n in new[] { m * d - 1, m * d, m * d + 1 })
                if (n >= 0 && n <= int.MaxValue)
                    yield return n;
        }
        long top = int.MaxValue / d * (long)d;
        for (long n = top - 2L * d; n <= int.MaxValue && n <= top + 1; n += Math.Max(1, d / 2))
            if (n >= 0)
                yield return n;
    }
}
