namespace Engine.Kernels;

/// <summary>
/// The name the engine loads this kernel under (what launch profiles, reports and errors show).
/// The engine's source generator (<c>src/Generators</c>) turns every method carrying it into a
/// <c>KernelLoader</c> in a static class named after the kernel class without its <c>Kernels</c>
/// suffix plus <c>Loaders</c>, in the kernel's namespace (<c>OptimizerKernels.Square</c> gives
/// <c>OptimizerLoaders.Square</c>). The launcher's type follows from the parameters:
/// <c>(Index1D, WorkRange, ...)</c> is chunked (the launcher takes the element count),
/// <c>(Index1D, ...)</c> auto-grouped, and any other first parameter explicitly grouped, compiled with
/// its <see cref="LaunchGroupAttribute"/>'s bounds (the launcher takes a <c>KernelConfig</c>).
/// A generic kernel gets a generic factory instead of a field, taking a variant that is appended to
/// the name (<c>"GemmRegisterTiled"</c> and <c>"NT"</c> give <c>GemmRegisterTiled.NT</c>); the
/// caller keeps one loader per instantiation. Nothing in this assembly reads it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class LoaderAttribute : Attribute
{
    /// <summary>A kernel loaded under <paramref name="name"/>.</summary>
    public LoaderAttribute(string name) => Name = name;

    /// <summary>The kernel's name in reports (a generic kernel's: the prefix before the variant).</summary>
    public string Name { get; }

    /// <summary>
    /// The generated member's name when not the method's: a kernel loaded twice under two names
    /// (each loader is compiled and cached on its own) needs a second member.
    /// </summary>
    public string? Member { get; set; }
}
