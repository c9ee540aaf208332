using Engine.Kernels;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Engine.Bench.Sass;

/// <summary>
/// Compiles kernels to PTX as the engine would on an NVIDIA GPU (the engine's optimisation level
/// and algorithms; explicitly grouped kernels with their launch bounds), without a GPU, for PTX ISA
/// 7.8: the newest the CUDA 11.8 <c>ptxas</c> that assembles the report's PTX accepts.
/// </summary>
internal sealed class PtxCompilation : IDisposable
{
    private readonly Context _context = Context.Create(builder => builder.Optimize(OptimizationLevel.O2).EnableAlgorithms());
    private readonly Dictionary<CudaArchitecture, PTXBackend> _backends = [];

    /// <summary>The PTX of <paramref name="kernel"/> for <paramref name="architecture"/>.</summary>
    public string Compile(KernelCatalog.Entry kernel, CudaArchitecture architecture)
    {
        if (!_backends.TryGetValue(architecture, out var backend))
            _backends[architecture] = backend = new PTXBackend(_context, new CudaCapabilityContext(architecture), architecture, CudaInstructionSet.ISA_78, null);
        var entry = kernel.ImplicitlyGrouped
            ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel.Method)
            : EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method);
        return ((PTXCompiledKernel)backend.Compile(entry, kernel.Specialization)).PTXAssembly;
    }

    public void Dispose()
    {
        foreach (var backend in _backends.Values)
            backend.Dispose();
        _context.Dispose();
    }
}
