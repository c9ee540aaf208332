using System.CommandLine;
using System.Diagnostics;
using Engine.Devices;
using Engine.Ops;
using Engine.Tensors;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>selfcheck</c>: opens a device, runs GEMMs in all four transpose combinations against a
/// float64 host reference, and reports the worst error relative to the float32 rounding bound
/// and the GEMM throughput.
/// </summary>
internal static class SelfCheckCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var device = CommonOptions.Device();
        var size = new Option<int>("--size", "-n")
        {
            Description = "Matrix size for the throughput run (M = N = K).",
            DefaultValueFactory = _ => 256,
        };
        var command = new Command("selfcheck", "Check GEMM on a device against a float64 reference and time it.") { device, size };
        command.SetAction(result => Run(result.GetValue(device), result.GetValue(size), output, errors));
        return command;
    }

    private static int Run(string? spec, int size, TextWriter output, TextWriter errors) => ErrorReport.Guard(errors, () => Check(spec, size, output));

    private static int Check(string? spec, int size, TextWriter output)
    {
        if (size <= 0 || size > 8192)
            throw new ArgumentException($"--size must be between 1 and 8192, got {size}.");
        using var device = CommonOptions.OpenDevice(spec);
        output.WriteLine($"Device: {device.Info}");
        output.WriteLine($"GEMM kernel: {Blas.Resolve(device, GemmAlgorithm.Auto)}");

        bool ok = true;
        var random = new Random(1);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (17, 65, 33), (100, 37, 250) })
        {
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    double ratio = CheckOnce(device, random, m, n, k, ta, tb);
                    ok &= ratio <= 1;
                    output.WriteLine($"  {m,4}x{n,4}x{k,4} op(A)={(ta ? "A^T" : "A  ")} op(B)={(tb ? "B^T" : "B  ")}  worst error / float32 bound = {ratio:0.000}{(ratio <= 1 ? "" : "  FAILED")}");
                }
            }
        }

        double gflops = Throughput(device, size);
        output.WriteLine($"Throughput at {size}^3: {gflops:0.0} GFLOP/s (wall clock, after warm-up; BenchmarkDotNet in bench/ for real figures)");
        output.WriteLine(ok ? "Self-check passed." : "Self-check FAILED.");
        return ok ? 0 : 1;
    }

    /// <summary>Worst <c>|C - C64| / (gamma_K * sum|a*b|)</c> over the elements: at most 1 when right.</summary>
    private static double CheckOnce(ComputeDevice device, Random random, int m, int n, int k, bool ta, bool tb)
    {
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n);
        using var scope = DisposeScope.Enter();
        var tA = Tensor.FromArray(device, a, ta ? [k, m] : [m, k]);
        var tB = Tensor.FromArray(device, b, tb ? [n, k] : [k, n]);
        var c = Blas.MatMul(tA, tB, ta, tb).ToArray();
        double gamma = (k + 2) * Math.Pow(2, -24);
        double worst = 0;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double term = (double)a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
                    sum += term;
                    abs += Math.Abs(term);
                }
                worst = Math.Max(worst, Math.Abs(c[i * n + j] - sum) / (gamma * abs + 1e-30));
            }
        }
        return worst;
    }

    private static double Throughput(ComputeDevice device, int size)
    {
        var random = new Random(2);
        using var scope = DisposeScope.Enter();
        var a = Tensor.FromArray(device, RandomValues(random, size * size), size, size);
        var b = Tensor.FromArray(device, RandomValues(random, size * size), size, size);
        var c = Tensor.Empty(device, size, size);
        Blas.Gemm(a, b, c);
        device.Synchronize();
        var watch = Stopwatch.StartNew();
        int runs = 0;
        do
        {
            Blas.Gemm(a, b, c);
            device.Synchronize();
            runs++;
        }
        while (watch.Elapsed.TotalSeconds < 1 && runs < 100);
        return 2.0 * size * size * size * runs / watch.Elapsed.TotalSeconds / 1e9;
    }

    private static float[] RandomValues(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
