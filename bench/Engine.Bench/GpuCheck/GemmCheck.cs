using System.Globalization;
using Engine.Devices;
using Engine.Ops;
using EngineBlas = Engine.Ops.Blas;
using Engine.Tensors;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// Checks the engine's GEMM result, not just its speed, on random inputs (uniform in [-1, 1), fixed
/// seed): every element against cuBLAS's, and a sample against float64. Errors are measured
/// relative to the K-scaled magnitude of each element, <c>S = (|A| |B|)[i, j] = Σ_k |a_ik b_kj|</c>,
/// the scale of rounding-error bounds for a sum of K products:
/// <list type="bullet">
/// <item>engine vs cuBLAS, all M N elements: <c>|C_engine - C_cuBLAS| ≤ τ S</c> with
/// <c>τ = 4 √K u</c>, u = 2^-24 (1.5e-5 at K = 4096). Two FP32 GEMMs on these inputs differ by about
/// 1e-7 S at most; a wrong tile, index or K step errs by about 1e-4 S or more.</item>
/// <item>against float64 (a sample of <see cref="Samples"/> elements, the corners included): each
/// ≤ τ S, and the mean ≤ 2^-20 S. That second bound tells FP32 from TF32: measured on the host, FP32
/// sums of 4096 products err by 1.6e-8 S on average, the same with TF32's 10-bit mantissa inputs
/// by 4.3e-6 S. It shows that cuBLAS ran without TF32.</item>
/// <item>on a GPU, the 128x128-tile kernel against the 64x64 one: they sum each element's products
/// in the same order, so they must agree bit for bit.</item>
/// </list>
/// </summary>
internal sealed class GemmCheck : IDisposable
{
    /// <summary>Elements compared with float64.</summary>
    public const int Samples = 4096;

    private const double TellFp32 = 1.0 / (1 << 20);

    private readonly int _m, _n, _k;
    private readonly float[] _a, _b;

    /// <summary>Random A [M, K] and B [K, N] on the device, with C for the engine.</summary>
    public GemmCheck(ComputeDevice device, int m, int n, int k)
    {
        (_m, _n, _k) = (m, n, k);
        var random = new Random(24);
        _a = Uniform(random, (long)m * k);
        _b = Uniform(random, (long)k * n);
        A = Tensor.FromArray(device, _a, m, k);
        B = Tensor.FromArray(device, _b, k, n);
        C = Tensor.Zeros(device, m, n);
    }

    /// <summary>A [M, K].</summary>
    public Tensor A { get; }

    /// <summary>B [K, N].</summary>
    public Tensor B { get; }

    /// <summary>The engine's C [M, N].</summary>
    public Tensor C { get; }

    /// <summary>The tolerance τ relative to S.</summary>
    public double Tolerance => 4 * Math.Sqrt(_k) / (1 << 24);

    /// <summary>Runs the checks and writes one check row each; cuBLAS's part only when <paramref name="cublas"/> is open.</summary>
    public void Run(RowLog log, string caseName, CuBlasAnchor? cublas)
    {
        var device = C.Device;
        EngineBlas.Gemm(A, B, C);
        float[] engine = C.ToArray();
        var c = CultureInfo.InvariantCulture;
        string tau = Tolerance.ToString("0.0e+00", c);

        if (EngineBlas.Resolve(device, GemmAlgorithm.Auto) == GemmAlgorithm.SharedMemoryTiled)
        {
            using var small = Tensor.Zeros(device, _m, _n);
            using (ExecutionPaths.Override(largeTiles: false))
                EngineBlas.Gemm(A, B, small);
            float[] other = small.ToArray();
            long differ = 0;
            for (long i = 0; i < engine.LongLength; i++)
                differ += BitConverter.SingleToInt32Bits(engine[i]) != BitConverter.SingleToInt32Bits(other[i]) ? 1 : 0;
            log.Row(new ResultRow("engine", "check", caseName, "128x128=64x64", null, differ, "elements",
                differ == 0 ? $"PASS: the 128x128 and 64x64 kernels agree bit for bit on all {engine.LongLength:N0} elements" : $"FAILED: {differ:N0} of {engine.LongLength:N0} elements differ (same summation order: they must be equal)"),
                failed: differ != 0);
        }

        float[]? reference = null;
        if (cublas is not null)
        {
            using var cb = Tensor.Zeros(device, _m, _n);
            using var absA = Tensor.FromArray(device, Abs(_a), _m, _k);
            using var absB = Tensor.FromArray(device, Abs(_b), _k, _n);
            using var scale = Tensor.Zeros(device, _m, _n);
            cublas.Gemm(A, B, cb, _m, _n, _k);
            cublas.Gemm(absA, absB, scale, _m, _n, _k);
            reference = cb.ToArray();
            float[] s = scale.ToArray();
            double worst = 0;
            long worstAt = 0, over = 0;
            for (long i = 0; i < engine.LongLength; i++)
            {
                double r = Math.Abs((double)engine[i] - reference[i]) / Math.Max(s[i], float.Epsilon);
                if (double.IsNaN(r) || r > Tolerance)
                    over++;
                if (double.IsNaN(r) || r > worst)
                    (worst, worstAt) = (double.IsNaN(r) ? double.PositiveInfinity : r, i);
            }
            string at = $"[{worstAt / _n}, {worstAt % _n}]: engine {engine[worstAt].ToString("G9", c)}, cuBLAS {reference[worstAt].ToString("G9", c)}, S {s[worstAt].ToString("G6", c)}";
            log.Row(new ResultRow("engine", "check", caseName, "vs cuBLAS", null, worst, "max |dC|/S",
                over == 0 ? $"PASS: all {engine.LongLength:N0} elements within tau = 4 sqrt(K) u = {tau}; worst at {at}"
                    : $"FAILED: {over:N0} of {engine.LongLength:N0} elements beyond tau = {tau}; worst at {at}"),
                failed: over != 0);
        }

        Sampled(log, caseName, "engine", engine);
        if (reference is not null)
            Sampled(log, caseName, "cublas", reference);
    }

    // Errors of a result against float64 at the sampled elements: each within τ S, the mean within 2^-20 S (FP32, not TF32).
    private void Sampled(RowLog log, string caseName, string source, float[] result)
    {
        var c = CultureInfo.InvariantCulture;
        double worst = 0, sum = 0;
        int over = 0;
        foreach (long index in SampleIndices())
        {
            long i = index / _n, j = index % _n;
            double exact = 0, scale = 0;
            for (int k = 0; k < _k; k++)
            {
                double p = (double)_a[i * _k + k] * _b[k * (long)_n + j];
                exact += p;
                scale += Math.Abs(p);
            }
            double r = Math.Abs(result[index] - exact) / Math.Max(scale, double.Epsilon);
            if (double.IsNaN(r))
                r = double.PositiveInfinity;
            over += r > Tolerance ? 1 : 0;
            worst = Math.Max(worst, r);
            sum += r;
        }
        double mean = sum / Samples;
        bool pass = over == 0 && mean <= TellFp32;
        string verdict = pass ? "PASS" : "FAILED";
        log.Row(new ResultRow(source, "check", caseName, "vs float64", null, mean, "mean |dC|/S",
            string.Create(c, $"{verdict}: {Samples} sampled elements, max {worst:0.0e+00} (tau {Tolerance:0.0e+00}), mean {mean:0.0e+00} (FP32 if <= 2^-20 = {TellFp32:0.0e+00}; TF32 inputs give about 4e-06)")),
            failed: !pass);
    }

    // The four corners, then a fixed pseudo-random sample of the rest.
    private IEnumerable<long> SampleIndices()
    {
        long last = (long)_m * _n - 1;
        yield return 0;
        yield return _n - 1;
        yield return last - (_n - 1);
        yield return last;
        var random = new Random(7);
        for (int s = 4; s < Samples; s++)
            yield return random.NextInt64(last + 1);
    }

    private static float[] Uniform(Random random, long length)
    {
        var values = new float[length];
        for (long i = 0; i < length; i++)
            values[i] = 2 * random.NextSingle() - 1;
        return values;
    }

    private static float[] Abs(float[] values) => Array.ConvertAll(values, Math.Abs);

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        C.Dispose();
    }
}
