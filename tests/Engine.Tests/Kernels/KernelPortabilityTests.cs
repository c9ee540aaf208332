using Engine.Tests.Infrastructure;
using Engine.Kernels;
using Engine.Kernels.Blas;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Engine.Tests.Kernels;

/// <summary>
/// Every kernel in src/Kernels (<see cref="KernelCatalog"/>: found by reflection, generic ones for
/// every combination of the kernel assembly's structs that satisfy their constraints) compiles to
/// PTX for sm_70, sm_80 and sm_90 and to OpenCL C 2.0, with no GPU present, with the launch bounds
/// the engine loads it with.
/// </summary>
[DeviceIndependent("it compiles every kernel to PTX and OpenCL C source without running one")]
public sealed class KernelPortabilityTests
{
    public static TheoryData<string> KernelNames()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in KernelCatalog.All())
            data.Add(kernel.Name);
        return data;
    }

    [Fact]
    public void KernelsAreFound()
    {
        var names = KernelCatalog.All().Select(k => k.Name).ToList();
        Assert.Contains(names, n => n.Contains("GemmRegisterTiledKernels.Gemm<Transposed, AsStored>", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("Gemm64x64<AsStored, Transposed>", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("ElementwiseKernels.Fill", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.EndsWith("UpsampleKernels.Source", StringComparison.Ordinal)); // a helper with out values, not a kernel
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void ExplicitlyGroupedKernelsCarryTheirLaunchGroup()
    {
        var grouped = KernelCatalog.All().Where(k => !k.ImplicitlyGrouped).ToList();
        Assert.Contains(grouped, k => k.Name.StartsWith("GemmLargeTileKernels.Gemm128x128", StringComparison.Ordinal));
        Assert.All(grouped, k => Assert.Equal(GemmBlock.Threads, k.LaunchGroup!.Threads));
        Assert.All(grouped, k => Assert.Equal(k.Name.Contains("128", StringComparison.Ordinal) ? 2 : 0, k.LaunchGroup!.MinGroupsPerMultiprocessor));
    }

    [Fact]
    public void LoadersCompileWithTheKernelsLaunchBounds()
    {
        var large = Engine.Devices.LaunchBounds.Of(GemmLargeTileKernels.Gemm128x128<AsStored, Transposed>);
        Assert.Equal(GemmBlock.Threads, large.MaxNumThreadsPerGroup);
        Assert.Equal(2, large.MinNumGroupsPerMultiprocessor);
        var small = Engine.Devices.LaunchBounds.Of(GemmSharedTiledKernels.Gemm64x64<AsStored, AsStored>);
        Assert.Equal(GemmBlock.Threads, small.MaxNumThreadsPerGroup);
        Assert.Null(small.MinNumGroupsPerMultiprocessor);
        Assert.Null(Engine.Devices.LaunchBounds.Of(Engine.Kernels.Elementwise.ElementwiseKernels.Fill).MaxNumThreadsPerGroup);
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void CompilesToPtxAndOpenClC(string kernelName)
    {
        var kernel = KernelCatalog.All().Single(k => k.Name == kernelName);
        var entry = kernel.ImplicitlyGrouped
            ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel.Method)
            : EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method);

        using var context = Context.Create(builder => builder.Optimize(OptimizationLevel.O2).EnableAlgorithms());
        foreach (var architecture in new[] { CudaArchitecture.SM_70, CudaArchitecture.SM_80, CudaArchitecture.SM_90 })
        {
            using var ptx = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, CudaInstructionSet.ISA_80, null);
            var compiled = ptx.Compile(entry, kernel.Specialization);
            Assert.Contains(".entry", ((PTXCompiledKernel)compiled).PTXAssembly, StringComparison.Ordinal);
        }

        var capabilities = new CLCapabilityContext(float16: false, float64: false, genericAddressSpace: true, int64_Atomics: false, subGroups: false);
        using var cl = new CLBackend(context, capabilities, CLDeviceVendor.Other, CLCVersion.CL20);
        var clKernel = (CLCompiledKernel)cl.Compile(entry, kernel.Specialization);
        Assert.Contains("kernel void", clKernel.Source, StringComparison.Ordinal);
    }
}
