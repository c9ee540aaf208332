namespace Engine.Kernels;

/// <summary>
/// Division by a divisor fixed when a kernel is launched, as a multiply and a shift (Granlund and
/// Montgomery): <c>n / d == mulhi(2n, Multiplier) &gt;&gt; Shift</c> for every <c>0 &lt;= n &lt; 2^31</c> with
/// <c>Shift = ceil(log2 d)</c> and <c>Multiplier = ceil(2^(31 + Shift) / d)</c>, which fits 32 bits
/// (proof: the error <c>n * (Multiplier * d - 2^(31 + Shift)) / 2^(31 + Shift)</c> is below
/// <c>n / 2^31 &lt; 1</c> when <c>d &lt;= 2^Shift</c>). A GPU has no integer divider: a run-time division
/// is about 20 instructions there, this is three. The host computes the constants once per launch;
/// kernels index tensors with it in their hot loops (convolution gathers).
/// </summary>
public readonly struct FastDivisor
{
    /// <summary>The divisor.</summary>
    public readonly int Divisor;
    /// <summary><c>ceil(2^(31 + Shift) / Divisor)</c>.</summary>
    public readonly uint Multiplier;
    /// <summary><c>ceil(log2 Divisor)</c>.</summary>
    public readonly int Shift;

    /// <summary>The constants for <paramref name="divisor"/> (positive).</summary>
    public FastDivisor(int divisor)
    {
        if (divisor <= 0)
            throw new ArgumentOutOfRangeException(nameof(divisor), divisor, "A divisor must be positive.");
        Divisor = divisor;
        Shift = divisor == 1 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(divisor - 1));
        Multiplier = (uint)(((1UL << (31 + Shift)) + (ulong)divisor - 1) / (ulong)divisor);
    }

    /// <summary><c>n / Divisor</c> for <c>0 &lt;= n &lt; 2^31</c>.</summary>
    public int Divide(int n) => (int)((uint)(((ulong)((uint)n << 1) * Multiplier) >> 32) >> Shift);

    /// <summary><c>n / Divisor</c>, with <paramref name="remainder"/> <c>n % Divisor</c>, for <c>0 &lt;= n &lt; 2^31</c>.</summary>
    public int DivRem(int n, out int remainder)
    {
        int q = Divide(n);
        remainder = n - q * Divisor;
        return q;
    }
}
