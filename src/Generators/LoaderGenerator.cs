using Microsoft.CodeAnalysis;

namespace Engine.Generators;

/// <summary>
/// Generates, in the engine's compilation, what would otherwise be typed by hand for every kernel:
/// a <c>KernelLoader</c> per <c>[Loader]</c> on the kernels assembly's methods (the launcher's type
/// derived from the parameters; see <see cref="KernelScan"/>), and <c>ChunkedKernel.Load</c>'s
/// overloads for every arity ILGPU can load (see <see cref="ChunkedKernelWriter"/>).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class LoaderGenerator : IIncrementalGenerator
{
    /// <summary>Two loaders share a name, or a kernel cannot be loaded as its signature asks.</summary>
    internal static readonly DiagnosticDescriptor Refused = new(
        "ENGGEN001", "Kernel loader refused", "{0}", "Engine.Generators", DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var sources = context.CompilationProvider.SelectMany((compilation, cancel) =>
            KernelScan.Sources(compilation, cancel).AddRange(ChunkedKernelWriter.Sources(compilation)));
        context.RegisterSourceOutput(sources, static (output, source) =>
        {
            if (source.Error is not null)
                output.ReportDiagnostic(Diagnostic.Create(Refused, Location.None, source.Error));
            else
                output.AddSource(source.HintName, source.Text);
        });
    }
}
