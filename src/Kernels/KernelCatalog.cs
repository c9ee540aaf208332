using System.Reflection;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels;

/// <summary>
/// Every kernel of this assembly, found by reflection: each public static void method (without out or ref
/// parameters, which only helpers have) of a public static class named <c>*Kernels</c>, generic ones instantiated with every combination of this
/// assembly's structs that meets their constraints. The portability test compiles each for PTX and
/// OpenCL C; the SASS report (<c>bench sass-report</c>) assembles each for NVIDIA GPUs.
/// </summary>
public static class KernelCatalog
{
    private static readonly Assembly KernelAssembly = typeof(KernelCatalog).Assembly;

    /// <summary>One kernel: its method (generic arguments bound) and how it is launched.</summary>
    /// <param name="Method">The kernel method.</param>
    /// <param name="Name">Class, method and generic arguments, for example <c>GemmLargeTileKernels.Gemm128x128&lt;AsStored, Transposed&gt;</c>.</param>
    /// <param name="ImplicitlyGrouped">True when the first parameter is an ILGPU index (ILGPU chooses the groups); false for explicitly grouped kernels.</param>
    /// <param name="LaunchGroup">How an explicitly grouped kernel is launched; null for an implicitly grouped one.</param>
    public sealed record Entry(MethodInfo Method, string Name, bool ImplicitlyGrouped, LaunchGroupAttribute? LaunchGroup)
    {
        /// <summary>The launch bounds the engine compiles the kernel with (none for an implicitly grouped kernel).</summary>
        public KernelSpecialization Specialization => LaunchGroup?.Specialization ?? KernelSpecialization.Empty;
    }

    /// <summary>Every kernel, ordered by class, method and generic arguments.</summary>
    public static IReadOnlyList<Entry> All() => Find().ToList();

    private static IEnumerable<Entry> Find()
    {
        var kernelClasses = KernelAssembly.GetExportedTypes()
            .Where(t => t.IsAbstract && t.IsSealed && t.Name.EndsWith("Kernels", StringComparison.Ordinal));
        foreach (var type in kernelClasses.OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                         .Where(m => m.ReturnType == typeof(void) && !m.GetParameters().Any(p => p.ParameterType.IsByRef)) // helpers with out values are not kernels
                         .OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                var instances = method.IsGenericMethodDefinition ? Instantiations(method) : [method];
                foreach (var instance in instances)
                {
                    bool implicitly = IsImplicitlyGrouped(instance);
                    var group = method.GetCustomAttribute<LaunchGroupAttribute>();
                    if (!implicitly && group is null)
                        throw new InvalidOperationException($"{Describe(instance)} is explicitly grouped but has no [LaunchGroup].");
                    yield return new Entry(instance, Describe(instance), implicitly, implicitly ? null : group);
                }
            }
        }
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

    /// <summary>Every combination of this assembly's structs that meets each type parameter's (interface) constraints.</summary>
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
        if (choices.Any(c => c.Count == 0))
            throw new InvalidOperationException($"{definition.DeclaringType!.Name}.{definition.Name} has a type parameter no struct of the kernel assembly satisfies.");
        IEnumerable<Type[]> combinations = [[]];
        foreach (var options in choices)
            combinations = combinations.SelectMany(prefix => options.Select(o => prefix.Append(o).ToArray()));
        return combinations.Select(args => definition.MakeGenericMethod(args));
    }
}
