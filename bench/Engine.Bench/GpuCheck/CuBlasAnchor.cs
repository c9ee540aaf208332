using Engine.Devices;
using Engine.Tensors;
using ILGPU.Runtime.Cuda;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// cuBLAS SGEMM through ILGPU.Algorithms' binding (<see cref="CuBlas"/>), on the engine device's own
/// CUDA accelerator and stream, reading and writing the engine's tensors: the same-run anchor for
/// the engine's GEMM and the reference its 4096^3 result is compared with. FP32 only: the handle is
/// set to <see cref="CuBlasMathMode.DefaultMath"/> (CUBLAS_DEFAULT_MATH, which keeps FP32 products
/// in FP32: no TF32 tensor cores) and the mode is read back; the GPU check also runs with
/// <c>NVIDIA_TF32_OVERRIDE=0</c>, which turns TF32 off in every CUDA library of the process.
/// </summary>
internal sealed class CuBlasAnchor : IDisposable
{
    private readonly CuBlas _blas;

    private CuBlasAnchor(CuBlas blas, string library)
    {
        _blas = blas;
        Library = library;
    }

    /// <summary>cuBLAS's version number (e.g. 120400 for 12.4.0).</summary>
    public int Version => _blas.Version;

    /// <summary>The math mode read back from the handle.</summary>
    public CuBlasMathMode MathMode => _blas.MathMode;

    /// <summary>The file the process mapped for libcublas (from /proc/self/maps), or what ILGPU asked for.</summary>
    public string Library { get; }

    /// <summary>
    /// Opens cuBLAS on a CUDA device, or returns null with the reason in <paramref name="problem"/>:
    /// no CUDA device, or no libcublas ILGPU 1.5.3 can load (it asks for libcublas.so.12, .11 and
    /// .10, newest first; scripts/gpu-check.sh puts one on the loader path).
    /// </summary>
    public static CuBlasAnchor? TryOpen(ComputeDevice device, out string problem)
    {
        if (device.Accelerator is not CudaAccelerator cuda)
        {
            problem = $"not measured ({device.Info.Spec} is not a CUDA device)";
            return null;
        }
        try
        {
            var blas = new CuBlas(cuda) { MathMode = CuBlasMathMode.DefaultMath };
            if (blas.MathMode != CuBlasMathMode.DefaultMath)
            {
                problem = $"not measured: the handle kept math mode {blas.MathMode} after DefaultMath was set";
                blas.Dispose();
                return null;
            }
            problem = "";
            return new CuBlasAnchor(blas, MappedLibrary() ?? "libcublas.so.12, .11 or .10 (not found in /proc/self/maps)");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CuBlasException or TypeInitializationException)
        {
            problem = $"not measured: ILGPU's binding could not load libcublas.so.12, .11 or .10: {GpuReport.OneLine(e.Message)}";
            return null;
        }
    }

    /// <summary>
    /// Queues row-major <c>C[M, N] = A[M, K] B[K, N]</c> (batch 1) on the device's stream. cuBLAS is
    /// column-major, where the row-major C is Cᵀ = Bᵀ Aᵀ and each row-major buffer reads as its
    /// transpose: so B goes first, with the dimensions swapped.
    /// </summary>
    public void Gemm(Tensor a, Tensor b, Tensor c, int m, int n, int k) =>
        _blas.Gemm(CuBlasOperation.NonTranspose, CuBlasOperation.NonTranspose, n, m, k,
            1f, b.View, n, a.View, k, 0f, c.View, n);

    private static string? MappedLibrary()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 6 && Path.GetFileName(f[5]).StartsWith("libcublas.so", StringComparison.Ordinal))
                .Select(f => f[5])
                .FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _blas.Dispose();
}
