namespace Engine.Kernels.Random;

/// <summary>
/// Philox4x32-10 (Salmon et al., SC'11), the counter-based generator PyTorch uses on GPUs: the
/// random bits of element i depend only on (seed, counter), so any backend, launch shape or
/// thread order gives the same numbers, and a backward pass can regenerate a dropout mask
/// instead of storing it.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;

    /// <summary>The four 32-bit outputs for a 64-bit counter and a 64-bit seed.</summary>
    public static void Generate(ulong counter, ulong seed, out uint r0, out uint r1, out uint r2, out uint r3)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0u, c3 = 0u;
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        // Ten rounds, written out: ILGPU 1.5.3 does not unroll loops.
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1);
        r0 = c0; r1 = c1; r2 = c2; r3 = c3;
    }

    /// <summary>A float uniform in [0, 1) from the top 24 bits.</summary>
    public static float ToUnit(uint bits) => (int)(bits >> 8) * (1f / 16777216f); // via int: uint to float goes through double in IL

    private static void Round(ref uint c0, ref uint c1, ref uint c2, ref uint c3, uint k0, uint k1)
    {
        ulong p0 = (ulong)M0 * c0;
        ulong p1 = (ulong)M1 * c2;
        uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0;
        uint hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
        uint n0 = hi1 ^ c1 ^ k0;
        uint n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
}
