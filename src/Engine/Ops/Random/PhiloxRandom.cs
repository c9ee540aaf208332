using Engine.Kernels.Random;

namespace Engine.Ops.Random;

/// <summary>
/// Host random numbers from the device's generator, Philox4x32-10: the numbers are a function of
/// (key, counter) only, so a stream can start anywhere (a sample's augmentation in the middle of
/// an epoch is the same whether or not the epoch was interrupted before it) and nothing depends
/// on the process, the runtime's <see cref="System.Random"/> implementation or the thread.
/// </summary>
public sealed class PhiloxRandom
{
    private readonly ulong _key;
    private ulong _counter;
    private uint _r0, _r1, _r2, _r3;
    private int _left;

    /// <summary>A stream keyed by <paramref name="key"/> (see <see cref="RandomStreams"/>) from <paramref name="counter"/>.</summary>
    public PhiloxRandom(ulong key, ulong counter = 0)
    {
        _key = key;
        _counter = counter;
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt32()
    {
        if (_left == 0)
        {
            Philox.Generate(_counter++, _key, out _r0, out _r1, out _r2, out _r3);
            _left = 4;
        }
        _left--;
        return _left switch { 3 => _r0, 2 => _r1, 1 => _r2, _ => _r3 };
    }

    /// <summary>
    /// An integer uniform in <c>[0, bound)</c>, without modulo bias (Lemire, "Fast random integer
    /// generation in an interval", 2019).
    /// </summary>
    public int NextInt(int bound)
    {
        if (bound <= 0)
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "The bound must be positive.");
        uint range = (uint)bound;
        ulong product = (ulong)NextUInt32() * range;
        if ((uint)product < range)
        {
            uint threshold = (0u - range) % range;
            while ((uint)product < threshold)
                product = (ulong)NextUInt32() * range;
        }
        return (int)(product >> 32);
    }

    /// <summary>An integer uniform in <c>[low, high]</c>.</summary>
    public int NextInclusive(int low, int high) => low + NextInt(checked(high - low + 1));

    /// <summary>A double uniform in <c>[0, 1)</c> with 53 random bits.</summary>
    public double NextDouble() => (((ulong)NextUInt32() << 21) ^ (NextUInt32() >> 11)) * (1.0 / (1UL << 53));

    /// <summary>Shuffles in place (Fisher-Yates from the last element, as NumPy and PyTorch's randperm do).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
