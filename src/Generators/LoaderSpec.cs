namespace Engine.Generators;

/// <summary>One loader to generate: one <c>[Loader]</c> on one kernel method, as C# text.</summary>
internal sealed class LoaderSpec
{
    public LoaderSpec(string name, string member, string kernel, string typeParameters, string constraints,
        Launch launch, string index, IReadOnlyList<string> arguments)
    {
        Name = name;
        Member = member;
        Kernel = kernel;
        TypeParameters = typeParameters;
        Constraints = constraints;
        Launch = launch;
        Index = index;
        Arguments = arguments;
    }

    /// <summary>The kernel's name in reports (a generic kernel's: the prefix before the variant).</summary>
    public string Name { get; }

    /// <summary>The generated member's name.</summary>
    public string Member { get; }

    /// <summary>The kernel method, fully qualified, with its type parameters (<c>global::...Kernels.Gemm&lt;TA, TB&gt;</c>).</summary>
    public string Kernel { get; }

    /// <summary><c>&lt;TA, TB&gt;</c> for a generic kernel, else empty.</summary>
    public string TypeParameters { get; }

    /// <summary>The type parameters' <c>where</c> clauses, each starting with a space; empty when none.</summary>
    public string Constraints { get; }

    /// <summary>How the kernel is loaded.</summary>
    public Launch Launch { get; }

    /// <summary>The launcher's first type: <c>Index1D</c>, the kernel's index type, or <c>KernelConfig</c>.</summary>
    public string Index { get; }

    /// <summary>The launcher's other types: the kernel's parameters after its index (and its <c>WorkRange</c>).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>True for a generic kernel: a factory taking the variant instead of a field.</summary>
    public bool IsGeneric => TypeParameters.Length > 0;

    /// <summary>The launcher's delegate type.</summary>
    public string Delegate => $"global::System.Action<{string.Join(", ", new[] { Index }.Concat(Arguments))}>";

    /// <summary>The ILGPU load call on an accelerator named <c>acc</c>.</summary>
    public string LoadCall
    {
        get
        {
            string args = string.Join(", ", Arguments);
            return Launch switch
            {
                Launch.Chunked => $"global::Engine.Devices.ChunkedKernel.Load<{args}>(acc, {Kernel})",
                Launch.AutoGrouped => $"global::ILGPU.Runtime.KernelLoaders.LoadAutoGroupedStreamKernel<{Index}, {args}>(acc, {Kernel})",
                _ => $"global::ILGPU.Runtime.KernelLoaders.LoadStreamKernel<{args}>(acc, {Kernel}, global::Engine.Devices.LaunchBounds.Of({Kernel}))",
            };
        }
    }
}
