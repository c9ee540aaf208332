using System.Reflection;
using Engine.Devices;
using Engine.Kernels;
using Engine.Kernels.Blas;
using Engine.Tests.Infrastructure;
using ILGPU;

namespace Engine.Tests.Devices;

/// <summary>
/// The loaders the engine's source generator (src/Generators) writes from the kernels'
/// <see cref="LoaderAttribute"/>s: every kernel of the catalog carries one, and each attribute gives
/// a loader in <c>XLoaders</c> under its name, whose launcher takes what the kernel's parameters ask
/// for (the element count for a chunked kernel, a <c>KernelConfig</c> for an explicitly grouped one).
/// </summary>
[DeviceIndependent("it reads the generated loaders by reflection without loading a kernel")]
public sealed class GeneratedLoaderTests
{
    private static readonly Assembly EngineAssembly = typeof(KernelLoader<>).Assembly;

    private static List<MethodInfo> Kernels() =>
        KernelCatalog.All().Select(k => k.Method.IsGenericMethod ? k.Method.GetGenericMethodDefinition() : k.Method).Distinct().ToList();

    [Fact]
    public void EveryKernelCarriesALoader()
    {
        var without = Kernels().Where(m => !m.GetCustomAttributes<LoaderAttribute>().Any()).Select(m => $"{m.DeclaringType!.Name}.{m.Name}");
        Assert.Empty(without);
    }

    [Fact]
    public void EachLoaderIsGeneratedUnderItsNameWithTheKernelsLauncher()
    {
        var names = new List<string>();
        foreach (var kernel in Kernels().Where(m => !m.IsGenericMethodDefinition))
        {
            foreach (var attribute in kernel.GetCustomAttributes<LoaderAttribute>())
            {
                var field = LoadersOf(kernel).GetField(attribute.Member ?? kernel.Name, BindingFlags.Static | BindingFlags.NonPublic);
                Assert.True(field is not null, $"{kernel.DeclaringType!.Name}.{kernel.Name}: no loader {attribute.Member ?? kernel.Name} generated.");
                Assert.Equal(attribute.Name, Name(field.GetValue(null)!));
                Assert.Equal(LauncherArguments(kernel), field.FieldType.GetGenericArguments()[0].GetGenericArguments());
                names.Add(attribute.Name);
            }
        }
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void AGenericKernelsLoaderIsNamedWithItsVariant()
    {
        var kernel = typeof(GemmLargeTileKernels).GetMethod(nameof(GemmLargeTileKernels.Gemm128x128))!;
        var factory = LoadersOf(kernel).GetMethod(kernel.Name, BindingFlags.Static | BindingFlags.NonPublic)!
            .MakeGenericMethod(typeof(AsStored), typeof(Transposed));
        var loader = factory.Invoke(null, ["NT"])!;
        Assert.Equal($"{kernel.GetCustomAttribute<LoaderAttribute>()!.Name}.NT", Name(loader));
        var bound = kernel.MakeGenericMethod(typeof(AsStored), typeof(Transposed));
        Assert.Equal(LauncherArguments(bound), loader.GetType().GetGenericArguments()[0].GetGenericArguments());
    }

    private static Type LoadersOf(MethodInfo kernel)
    {
        var kernels = kernel.DeclaringType!;
        string name = $"{kernels.Namespace}.{kernels.Name[..^"Kernels".Length]}Loaders";
        return EngineAssembly.GetType(name) ?? throw new InvalidOperationException($"No {name} was generated.");
    }

    private static string Name(object loader) => (string)loader.GetType().GetProperty(nameof(KernelLoader<Action>.Name))!.GetValue(loader)!;

    // Index1D then the arguments after the WorkRange (chunked); the kernel's own parameters
    // (auto-grouped); KernelConfig then the parameters (explicitly grouped).
    private static Type[] LauncherArguments(MethodInfo kernel)
    {
        var types = kernel.GetParameters().Select(p => p.ParameterType).ToList();
        if (types[0] != typeof(Index1D))
            return [typeof(KernelConfig), .. types];
        return types.Count > 1 && types[1] == typeof(WorkRange) ? [typeof(Index1D), .. types.Skip(2)] : [.. types];
    }
}
