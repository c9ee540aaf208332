using Engine.Devices;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// How CUDA may round what the CPU accelerator and OpenCL compute bit for bit alike, from the PTX ISA
/// (version 9.1, section numbers as there), so that a test keeps its exact proof where the arithmetic
/// is the same on every device and states, on CUDA alone, the bound the ISA gives where it is not.
/// <c>docs/CUDA-NUMERICS.md</c> lists every exact comparison of the suite with its verdict.
/// </summary>
/// <remarks>
/// <para>What ILGPU 1.5.3 writes and ptxas does with it (read in the SASS report, <c>bench sass-report</c>):</para>
/// <list type="bullet">
/// <item>Float arithmetic is <c>mul.f32</c>, <c>add.f32</c>, <c>sub.f32</c> without a rounding modifier.
/// 9.7.3.5 (mul; add and sub in 9.7.3 say the same): such an instruction "may be optimized aggressively by the code
/// optimizer. In particular, mul/add and mul/sub sequences with no rounding modifiers may be optimized
/// to use fused-multiply-add instructions". ptxas 11.8 fuses wherever a multiply feeds an add in one
/// kernel (no FADD is left in any GEMM's K loop; <c>y += a * x</c> is one FFMA), rounding once where
/// .NET (which never contracts) and OpenCL C (which contracts only inside one expression, and ILGPU
/// writes one operation per statement) round twice. Two kernels that evaluate an element by the same
/// expression are fused alike; a multiply and an add in different kernels, or one side on the host,
/// are not.</item>
/// <item><c>XMath.Exp(x)</c> is <c>ex2.approx.f32</c> of <c>x * log2(e)</c>. 9.7.3.21: "The maximum ulp
/// error is 2 ulp from correctly rounded result across the full range of inputs"; the rounded product
/// adds <c>|x|</c> times its relative error (<see cref="ExpRelativeError"/>).</item>
/// <item><c>XMath.Log(x)</c> is <c>lg2.approx.f32</c> times ln 2. 9.7.3.20: "The maximum absolute error is
/// 2^-22 when the input operand is in the range (0.5, 2). For positive finite inputs outside of this
/// interval, maximum relative error is 2^-22" (<see cref="LogAbsoluteError"/>).</item>
/// <item><c>XMath.Tanh</c> is <c>tanh.approx.f32</c> (sm_75 and later). 9.7.3.22: "The maximum relative
/// error over the entire floating point range is 2^-11" (<see cref="TanhRelativeError"/>), where the
/// CPU's is below 2^-23: the largest difference CUDA brings.</item>
/// <item>Division, square root and reciprocal are <c>div.rn</c>, <c>sqrt.rn</c> and <c>rcp.rn</c>,
/// correctly rounded as on the CPU; selections (max, ReLU, masks) and copies compute nothing.</item>
/// </list>
/// The bounds are first-order in the unit roundoff and hold for normal results.
/// </remarks>
public static class DeviceRounding
{
    /// <summary>The unit roundoff of float32, 2^-24.</summary>
    public const double Unit = 1.0 / (1 << 24);

    /// <summary>tanh.approx.f32's largest relative error, 2^-11 (PTX ISA 9.7.3.22).</summary>
    public const double TanhRelativeError = 1.0 / (1 << 11);

    private static readonly double Log2E = 1 / Math.Log(2);

    // x * log2(e) in float32: the product's rounding and the constant's (ILGPU writes 0f3FB8AA3B).
    private static readonly double ExpArgumentError = Unit + Math.Abs((float)Log2E - Log2E) / Log2E;

    /// <summary>Whether <paramref name="device"/> may round an expression differently from the CPU accelerator and OpenCL: CUDA.</summary>
    public static bool Differs(ComputeDevice device) => device.Kind == DeviceKind.Cuda;

    /// <summary>
    /// The relative error of CUDA's <c>XMath.Exp(x)</c>: 2 ulp (2^-22 relative) from the correctly rounded
    /// result, that rounding (2^-24), and <c>|x|</c> times the relative error of the float32 argument
    /// <c>x * log2(e)</c> (an error of d in the exponent is a relative error of d ln 2 in the result).
    /// </summary>
    public static double ExpRelativeError(double x) => 4 * Unit + Unit + Math.Abs(x) * ExpArgumentError;

    /// <summary>
    /// The absolute error of CUDA's <c>XMath.Log(v)</c> for <c>v &gt; 0</c>: lg2.approx's 2^-22 (absolute in
    /// (0.5, 2), relative to log2 v elsewhere) times ln 2, and the rounding of that product.
    /// </summary>
    public static double LogAbsoluteError(double v)
    {
        double log2 = Math.Log2(v);
        double lg2Error = v > 0.5 && v < 2 ? 4 * Unit : 4 * Unit * Math.Abs(log2);
        return Math.Log(2) * lg2Error + 2 * Unit * Math.Abs(log2 * Math.Log(2));
    }

    /// <summary>
    /// Bit for bit off CUDA (today's proof, unchanged); on CUDA <c>|actual - expected| &lt;= cudaBound[i]</c>,
    /// the caller's bound from the ISA, with NaN where NaN is expected and infinities equal.
    /// </summary>
    public static void AssertExactlyOrWithin(ComputeDevice device, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, Func<int, double> cudaBound, string what)
    {
        if (!Differs(device))
        {
            Reference.AssertExactly(expected, actual, what);
            return;
        }
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            AssertElementWithin(actual[i], expected[i], cudaBound(i), i, what);
    }

    /// <summary>
    /// Bit for bit on every device, for two kernels (or launches) that evaluate each element by the same
    /// expression: ptxas fuses their multiply-adds alike. On CUDA a failure says so, since only a different
    /// fusion decision would explain it (the ISA allows one, ptxas 11.8 was not seen to take it).
    /// </summary>
    public static void AssertExactlyAcrossKernels(ComputeDevice device, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what) =>
        Reference.AssertExactly(expected, actual, Differs(device)
            ? $"{what} (CUDA: both sides evaluate the same expression, so ptxas was expected to fuse their multiply-adds alike; see docs/CUDA-NUMERICS.md)"
            : what);

    /// <summary>
    /// <see cref="GradCheck.AssertClose"/> off CUDA (unchanged); on CUDA <c>|a - e| &lt;= rtol * max(|a|, |e|, floor) + cudaAllowance(i)</c>,
    /// the allowance being what the ISA lets CUDA's approximations add to element i.
    /// </summary>
    public static void AssertClose(ComputeDevice device, ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double rtol, double floor,
        Func<int, double> cudaAllowance, string what)
    {
        if (!Differs(device))
        {
            GradCheck.AssertClose(actual, expected, rtol, floor, what);
            return;
        }
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(Math.Max(Math.Abs(actual[i]), Math.Abs(expected[i])), floor);
            AssertElementWithin(actual[i], expected[i], rtol * scale + cudaAllowance(i), i, what);
        }
    }

    private static void AssertElementWithin(float actual, double expected, double bound, int i, string what)
    {
        if (double.IsNaN(expected) ? float.IsNaN(actual) : double.IsInfinity(expected) ? actual == expected : Math.Abs(actual - expected) <= bound)
            return;
        Assert.Fail($"{what}: element {i} is {actual}, expected {expected} within {bound:G3} on CUDA (PTX ISA bounds, see {nameof(DeviceRounding)}).");
    }
}
