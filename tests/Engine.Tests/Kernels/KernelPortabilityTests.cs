using System.Reflection;
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
/// Every kernel in src/Kernels compiles to PTX for sm_70, sm_80 and sm_90 and to OpenCL C 2.0,
/// with no GPU present. Kernels are found by reflection: every public static void method of a
/// public static class named <c>*Kernels</c>. A method whose first parameter is an ILGPU index
/// is implicitly grouped; any other is explicitly grouped. Generic kernels are compiled for every
/// combination of the kernel assembly's structs that satisfy their constraints.
/// </summary>
public sealed class KernelPortabilityTests
{
    private static readonly Assembly KernelAssembly = typeof(GemmParams).Assembly;

    public static TheoryData<string> KernelNames()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in FindKernels())
            data.Add(Describe(kernel));
        return data;
    }

    [Fact]
    public void KernelsAreFound()
    {
        var names = FindKernels().Select(Describe).ToList();
        Assert.Contains(names, n => n.Contains("GemmRegisterTiledKernels.Gemm<Transposed, AsStored>", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("Gemm64x64<AsStored, Transposed>", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("ElementwiseKernels.Fill", StringComparison.Ordinal));
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void CompilesToPtxAndOpenClC(string kernelName)
    {
        var kernel = FindKernels().Single(k => Describe(k) == kernelName);
        var entry = IsImplicitlyGrouped(kernel)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel)
            : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);

        using var context = Context.Create(builder => builder.Optimize(OptimizationLevel.O2).EnableAlgorithms());
        foreach (var architecture in new[] { CudaArchitecture.SM_70, CudaArchitecture.SM_80, CudaArchitecture.SM_90 })
        {
            using var ptx = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, CudaInstructionSet.ISA_80, null);
            var compiled = ptx.Compile(entry, default(KernelSpecialization));
            Assert.Contains(".entry", ((PTXCompiledKernel)compiled).PTXAssembly, StringComparison.Ordinal);
        }

        var capabilities = new CLCapabilityContext(float16: false, float64: false, genericAddressSpace: true, int64_Atomics: false, subGroups: false);
        using var cl = new CLBackend(context, capabilities, CLDeviceVendor.Other, CLCVersion.CL20);
        var clKernel = (CLCompiledKernel)cl.Compile(entry, default(KernelSpecialization));
        Assert.Contains("kernel void", clKernel.Source, StringComparison.Ordinal);
    }

    private static bool IsImplicitlyGrouped(MethodInfo kernel)
    {
        var parameters = kernel.GetParameters();
        return parameters.Length > 0 && parameters[0].ParameterType is var t &&
            (t == typeof(Index1D) || t == typeof(Index2D) || t == typeof(Index3D) ||
             t == typeof(LongIndex1D) || t == typeof(LongIndex2D) || t == typeof(LongIndex3D));
    }

    private static string Describe(MethodInfo kernel)
    {
        string args = kernel.IsGenericMethod ? "<" + string.Join(", ", kernel.GetGenericArguments().Select(a => a.Name)) + ">" : "";
        return $"{kernel.DeclaringType!.Name}.{kernel.Name}{args}";
    }

    private static IEnumerable<MethodInfo> FindKernels()
    {
        var kernelClasses = KernelAssembly.GetExportedTypes()
            .Where(t => t.IsAbstract && t.IsSealed && t.Name.EndsWith("Kernels", StringComparison.Ordinal));
        foreach (var type in kernelClasses.OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                         .Where(m => m.ReturnType == typeof(void))
                         .OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                if (!method.IsGenericMethodDefinition)
                {
                    yield return method;
                    continue;
                }
                foreach (var instance in Instantiations(method))
                    yield return instance;
            }
        }
    }

    /// <summary>Every combination of the kernel assembly's structs that meets each type parameter's constraints.</summary>
    private static IEnumerable<MethodInfo> Instantiations(MethodInfo definition)
    {
        var structs = KernelAssembly.GetExportedTypes().Where(t => t.IsValueType && !t.IsGenericTypeDefinition).ToList();
        var choices = definition.GetGenericArguments()
            .Select(parameter => structs
                .Where(s => parameter.GetGenericParameterConstraints().All(c => c.IsAssignableFrom(s)))
                .Where(s => parameter.GetGenericParameterConstraints().Any(c => c.IsInterface))
                .OrderBy(s => s.Name, StringComparer.Ordinal)
                .ToList())
            .ToList();
        Assert.All(choices, c => Assert.NotEmpty(c));
        IEnumerable<Type[]> combinations = [[]];
        foreach (var options in choices)
            combinations = combinations.SelectMany(prefix => options.Select(o => prefix.Append(o).ToArray()));
        return combinations.Select(args => definition.MakeGenericMethod(args));
    }
}
