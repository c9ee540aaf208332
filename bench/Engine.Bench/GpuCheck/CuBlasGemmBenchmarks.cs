using BenchmarkDotNet.Attributes;
using Engine.Bench.Cases;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// cuBLAS SGEMM through ILGPU.Algorithms' binding (<see cref="CuBlas"/>), FP32 in the default math
/// mode (no TF32 tensor cores), on the CUDA device the report measures: the same-run anchor for the
/// engine's GEMM. Only the GPU report runs it (its shapes are empty otherwise).
/// </summary>
public class CuBlasGemmBenchmarks
{
    private Context _context = null!;
    private CudaAccelerator _accelerator = null!;
    private CuBlas _blas = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> _a = null!, _b = null!, _c = null!;

    /// <summary>The CUDA device's index (the N of <c>cuda:N</c>).</summary>
    internal static int CudaIndex { get; set; }

    /// <summary>Shapes to run (square, unbatched), set by the report.</summary>
    internal static List<GemmShape> SquareShapes { get; } = [];

    /// <summary>Problem shape.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    public static IEnumerable<GemmShape> Shapes() => SquareShapes;

    [GlobalSetup]
    public void Setup()
    {
        var s = Shape;
        _context = Context.Create(builder => builder.Cuda());
        _accelerator = _context.CreateCudaAccelerator(CudaIndex);
        _blas = Open(_accelerator);
        _a = Filled(s.M * s.K, 0.5f);
        _b = Filled(s.K * s.N, 0.25f);
        _c = Filled(s.M * s.N, 0f);
        Gemm(); // loads cuBLAS's kernels outside the measurement
    }

    /// <summary>C = A B, column-major (the layout does not change the work of a square product).</summary>
    [Benchmark]
    public void Gemm()
    {
        var s = Shape;
        _blas.Gemm(CuBlasOperation.NonTranspose, CuBlasOperation.NonTranspose, s.M, s.N, s.K,
            1f, _a.View.AsContiguous(), s.M, _b.View.AsContiguous(), s.K, 0f, _c.View.AsContiguous(), s.M);
        _accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
        _blas.Dispose();
        _accelerator.Dispose();
        _context.Dispose();
    }

    /// <summary>cuBLAS on an accelerator, FP32 math (no TF32); throws when libcublas cannot be loaded.</summary>
    internal static CuBlas Open(CudaAccelerator accelerator) => new(accelerator) { MathMode = CuBlasMathMode.DefaultMath };

    private MemoryBuffer1D<float, Stride1D.Dense> Filled(long length, float value)
    {
        var buffer = _accelerator.Allocate1D<float>(length);
        var host = new float[length];
        Array.Fill(host, value);
        buffer.CopyFromCPU(host);
        return buffer;
    }
}
