using System.Globalization;
using Engine.Devices;
using Engine.Ops;
using EngineBlas = Engine.Ops.Blas;
using Engine.Tensors;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// A GEMM case: the engine's <see cref="EngineBlas.Gemm"/> with the device's automatic kernel choice,
/// cuBLAS on the same shape where it is square and unbatched, and for a target the result checked
/// (<see cref="GemmCheck"/>). Operands are constants (0.5 and 0.25) as in the suite's benchmark,
/// random for a target, whose result is compared.
/// </summary>
internal static class GemmRun
{
    public static void Run(CheckContext context, GpuCheckCase @case)
    {
        var s = @case.Gemm!;
        var device = context.Device;
        GemmCheck? check = @case.Target && s.Batch == 1 && !s.TransposeA && !s.TransposeB ? new GemmCheck(device, s.M, s.N, s.K) : null;
        int batchA = s.BroadcastA ? 1 : s.Batch;
        var a = check?.A ?? Tensor.Full(device, 0.5f, s.TransposeA ? [batchA, s.K, s.M] : [batchA, s.M, s.K]);
        var b = check?.B ?? Tensor.Full(device, 0.25f, s.TransposeB ? [s.Batch, s.N, s.K] : [s.Batch, s.K, s.N]);
        var c = check?.C ?? Tensor.Zeros(device, s.Batch, s.M, s.N);
        try
        {
            var (ms, _) = context.Timer.Measure(() => EngineBlas.Gemm(a, b, c, s.TransposeA, s.TransposeB), device.Synchronize, context.Deadline);
            double gflops = s.Flops / (ms * 1e6);
            string ran = Kernels(device, () => EngineBlas.Gemm(a, b, c, s.TransposeA, s.TransposeB));
            context.Log.Row(new ResultRow("engine", "gemm", s.Name, "gemm", ms, gflops, "GFLOP/s", context.Note(s.Name, "gemm", gflops, "GFLOP/s", ran)));
            if (context.CuBlas is { } cublas && s.Batch == 1 && s.M == s.N && s.N == s.K && !s.TransposeA && !s.TransposeB)
            {
                var (blasMs, _) = context.Timer.Measure(() => cublas.Gemm(a, b, c, s.M, s.N, s.K), device.Synchronize, context.Deadline);
                double blasGflops = s.Flops / (blasMs * 1e6);
                string note = string.Create(CultureInfo.InvariantCulture, $"SGEMM, {cublas.MathMode}; engine speed / cuBLAS speed {100 * blasMs / ms:0.0}%");
                context.Log.Row(new ResultRow("cublas", "gemm", s.Name, "gemm", blasMs, blasGflops, "GFLOP/s", note));
            }
            check?.Run(context.Log, s.Name, context.CuBlas);
        }
        finally
        {
            if (check is not null)
                check.Dispose();
            else
            {
                a.Dispose();
                b.Dispose();
                c.Dispose();
            }
        }
    }

    /// <summary>Which kernels one product launches (from a launch profile), or the host path's name.</summary>
    public static string Kernels(ComputeDevice device, Action run)
    {
        var profile = device.StartProfile();
        try
        {
            run();
            device.Synchronize();
        }
        finally
        {
            device.StopProfile();
        }
        var names = profile.Launches.Select(l => l.Kernel).Distinct().ToList();
        string algorithm = EngineBlas.Resolve(device, GemmAlgorithm.Auto).ToString();
        return names.Count == 0 ? $"{algorithm} (no kernel launched)" : $"{algorithm}: {string.Join(", ", names)}";
    }
}
