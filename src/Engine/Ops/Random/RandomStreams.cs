namespace Engine.Ops.Random;

/// <summary>
/// Derives the 64-bit key of each random stream from a user seed, the stream and an index (the
/// epoch): <c>key = mix(mix(mix(seed + γ) ^ stream) + γ ^ index)</c>, with <c>mix</c> SplitMix64's
/// finaliser (Steele, Lea and Flood, OOPSLA 2014; a bijection of 64-bit words with full avalanche)
/// and <c>γ = 0x9E3779B97F4A7C15</c>. Only arithmetic on the inputs: nothing per process (no
/// <c>HashCode</c>, no string hashes, no clock), so the same seed gives the same keys in every
/// process, on every machine and after a resume.
/// </summary>
public static class RandomStreams
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The key of <paramref name="stream"/> for <paramref name="seed"/> at <paramref name="index"/>.</summary>
    public static ulong Derive(ulong seed, RandomStream stream, ulong index = 0) =>
        Mix(Mix(Mix(seed + Golden) ^ (ulong)stream) + Golden ^ index);

    /// <summary>SplitMix64's finaliser.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
