using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Engine.Generators;

/// <summary>
/// Finds the kernels to load: in the assembly that defines <c>Engine.Kernels.LoaderAttribute</c> (the
/// kernels assembly, referenced by the engine), every method of a public static class named
/// <c>*Kernels</c> that carries the attribute, one loader per attribute. Its launch follows from
/// its parameters (<see cref="Launch"/>); one source file of loaders per kernel class.
/// </summary>
internal static class KernelScan
{
    private const string AttributeName = "Engine.Kernels.LoaderAttribute";
    private const string WorkRangeName = "Engine.Kernels.WorkRange";
    private const string KernelLoaderName = "Engine.Devices.KernelLoader`1";

    private static readonly SymbolDisplayFormat Qualified = SymbolDisplayFormat.FullyQualifiedFormat;

    /// <summary>The loader sources for <paramref name="compilation"/>: none unless it declares <c>KernelLoader</c> and references the kernels.</summary>
    public static ImmutableArray<GeneratedSource> Sources(Compilation compilation, CancellationToken cancel)
    {
        var attribute = compilation.GetTypeByMetadataName(AttributeName);
        var workRange = compilation.GetTypeByMetadataName(WorkRangeName);
        if (attribute is null || workRange is null || compilation.Assembly.GetTypeByMetadataName(KernelLoaderName) is null)
            return ImmutableArray<GeneratedSource>.Empty;

        var sources = ImmutableArray.CreateBuilder<GeneratedSource>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kernelClass in KernelClasses(attribute.ContainingAssembly.GlobalNamespace))
        {
            cancel.ThrowIfCancellationRequested();
            var loaders = new List<LoaderSpec>();
            foreach (var method in kernelClass.GetMembers().OfType<IMethodSymbol>())
            {
                foreach (var data in method.GetAttributes().Where(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute)))
                {
                    var loader = Spec(method, data, workRange, out string? refusal);
                    string where = $"{kernelClass.Name}.{method.Name}";
                    if (loader is null)
                        sources.Add(GeneratedSource.Failure($"{where}: {refusal}"));
                    else if (!loader.IsGeneric && owners.TryGetValue(loader.Name, out string? owner))
                        sources.Add(GeneratedSource.Failure($"{where} and {owner} are both loaded as \"{loader.Name}\"; reports and profiles key kernels by name. Give one another name."));
                    else
                    {
                        owners[loader.Name] = where;
                        loaders.Add(loader);
                    }
                }
            }
            if (loaders.Count > 0)
                sources.Add(LoadersWriter.Write(kernelClass, loaders));
        }
        return sources.ToImmutable();
    }

    private static IEnumerable<INamedTypeSymbol> KernelClasses(INamespaceSymbol ns)
    {
        foreach (var type in ns.GetTypeMembers())
            if (type.IsStatic && type.DeclaredAccessibility == Accessibility.Public && type.Name.EndsWith("Kernels", StringComparison.Ordinal))
                yield return type;
        foreach (var child in ns.GetNamespaceMembers())
            foreach (var type in KernelClasses(child))
                yield return type;
    }

    private static LoaderSpec? Spec(IMethodSymbol method, AttributeData data, INamedTypeSymbol workRange, out string? refusal)
    {
        refusal = null;
        if (data.ConstructorArguments.Length != 1 || data.ConstructorArguments[0].Value is not string name || name.Length == 0)
        {
            refusal = "[Loader] needs a name.";
            return null;
        }
        string member = data.NamedArguments.Where(a => a.Key == "Member").Select(a => a.Value.Value as string).FirstOrDefault() ?? method.Name;
        var parameters = method.Parameters;
        if (!method.IsStatic || !method.ReturnsVoid || parameters.Length == 0 || parameters.Any(p => p.RefKind != RefKind.None))
        {
            refusal = "a kernel is a static void method with parameters, none of them out or ref.";
            return null;
        }

        var types = parameters.Select(p => p.Type.ToDisplayString(Qualified)).ToList();
        Launch launch;
        string index;
        int skip;
        if (!IsIndex(parameters[0].Type))
            (launch, index, skip) = (Launch.ExplicitlyGrouped, "global::ILGPU.KernelConfig", 0);
        else if (parameters.Length > 1 && SymbolEqualityComparer.Default.Equals(parameters[1].Type, workRange))
            (launch, index, skip) = (Launch.Chunked, types[0], 2);
        else
            (launch, index, skip) = (Launch.AutoGrouped, types[0], 1);
        if (launch == Launch.Chunked && parameters[0].Type.Name != "Index1D")
        {
            refusal = "a chunked kernel (a WorkRange second) takes an Index1D first.";
            return null;
        }
        if (parameters.Length == skip)
        {
            refusal = "a kernel takes at least one argument besides its index and work range.";
            return null;
        }

        string typeParameters = method.IsGenericMethod ? $"<{string.Join(", ", method.TypeParameters.Select(t => t.Name))}>" : "";
        string kernel = $"{method.ContainingType.ToDisplayString(Qualified)}.{method.Name}{typeParameters}";
        return new LoaderSpec(name, member, kernel, typeParameters, string.Concat(method.TypeParameters.Select(Constraint)),
            launch, index, types.Skip(skip).ToList());
    }

    private static bool IsIndex(ITypeSymbol type) =>
        type.ContainingNamespace is { Name: "ILGPU", ContainingNamespace.IsGlobalNamespace: true } &&
        type.Name is "Index1D" or "Index2D" or "Index3D" or "LongIndex1D" or "LongIndex2D" or "LongIndex3D";

    private static string Constraint(ITypeParameterSymbol parameter)
    {
        var clauses = new List<string>();
        if (parameter.HasUnmanagedTypeConstraint)
            clauses.Add("unmanaged");
        else if (parameter.HasValueTypeConstraint)
            clauses.Add("struct");
        else if (parameter.HasReferenceTypeConstraint)
            clauses.Add("class");
        clauses.AddRange(parameter.ConstraintTypes.Select(t => t.ToDisplayString(Qualified)));
        if (parameter.HasConstructorConstraint)
            clauses.Add("new()");
        return clauses.Count == 0 ? "" : $" where {parameter.Name} : {string.Join(", ", clauses)}";
    }
}
