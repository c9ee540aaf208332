using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Engine.Tests.Architecture;

/// <summary>
/// Which of an assembly's top-level types each of its top-level types uses, read from the compiled
/// metadata rather than the <c>using</c> lines: base types, interfaces, generic constraints, fields,
/// properties, events, method signatures and locals, attributes, catch clauses, and every type,
/// member and signature token of the method bodies' IL. A nested type (a lambda's closure, an
/// iterator's or async method's state machine, a nested helper) counts as its outermost type.
/// </summary>
internal static class TypeDependencies
{
    /// <summary>The (user, used) pairs of top-level type full names in the assembly at <paramref name="path"/>, self-uses left out.</summary>
    public static SortedSet<(string User, string Used)> Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var types = new SignatureTypes(h => Owner(reader, h));
        var pairs = new SortedSet<(string, string)>();
        foreach (var handle in reader.TypeDefinitions)
        {
            string user = Owner(reader, handle);
            foreach (string used in Uses(reader, pe, types, reader.GetTypeDefinition(handle)))
                if (used != user)
                    pairs.Add((user, used));
        }
        return pairs;
    }

    /// <summary>The full name of the outermost type declaring <paramref name="handle"/> (itself when top-level).</summary>
    public static string Owner(MetadataReader reader, TypeDefinitionHandle handle)
    {
        var type = reader.GetTypeDefinition(handle);
        while (type.IsNested)
            type = reader.GetTypeDefinition(type.GetDeclaringType());
        string ns = reader.GetString(type.Namespace), name = reader.GetString(type.Name);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private static IEnumerable<string> Uses(MetadataReader reader, PEReader pe, SignatureTypes types, TypeDefinition type)
    {
        var used = new List<string>();
        void Entity(EntityHandle handle) => used.AddRange(EntityTypes(reader, types, handle));
        void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes)
                Entity(reader.GetCustomAttribute(a).Constructor);
        }
        void GenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
                foreach (var c in reader.GetGenericParameter(p).GetConstraints())
                    Entity(reader.GetGenericParameterConstraint(c).Type);
        }

        if (!type.BaseType.IsNil)
            Entity(type.BaseType);
        foreach (var i in type.GetInterfaceImplementations())
            Entity(reader.GetInterfaceImplementation(i).Interface);
        Attributes(type.GetCustomAttributes());
        GenericParameters(type.GetGenericParameters());
        foreach (var f in type.GetFields())
        {
            var field = reader.GetFieldDefinition(f);
            used.AddRange(field.DecodeSignature(types, null));
            Attributes(field.GetCustomAttributes());
        }
        foreach (var p in type.GetProperties())
        {
            var property = reader.GetPropertyDefinition(p);
            used.AddRange(SignatureTypes.All(property.DecodeSignature(types, null)));
            Attributes(property.GetCustomAttributes());
        }
        foreach (var e in type.GetEvents())
            Entity(reader.GetEventDefinition(e).Type);
        foreach (var m in type.GetMethods())
        {
            var method = reader.GetMethodDefinition(m);
            used.AddRange(SignatureTypes.All(method.DecodeSignature(types, null)));
            Attributes(method.GetCustomAttributes());
            foreach (var p in method.GetParameters())
                Attributes(reader.GetParameter(p).GetCustomAttributes());
            GenericParameters(method.GetGenericParameters());
            if (method.RelativeVirtualAddress == 0)
                continue;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
                used.AddRange(reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(types, null).SelectMany(t => t));
            foreach (var region in body.ExceptionRegions)
                if (!region.CatchType.IsNil)
                    Entity(region.CatchType);
            foreach (var token in IlTokens.Read(body))
                Entity(token);
        }
        return used;
    }

    // The assembly's own types an entity names: a type, or a member's declaring type and signature.
    private static ImmutableArray<string> EntityTypes(MetadataReader reader, SignatureTypes types, EntityHandle handle)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                return [Owner(reader, (TypeDefinitionHandle)handle)];
            case HandleKind.TypeSpecification:
                return reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(types, null);
            case HandleKind.MethodDefinition:
                return [Owner(reader, reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType())];
            case HandleKind.FieldDefinition:
                return [Owner(reader, reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType())];
            case HandleKind.MemberReference:
                var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                var parent = member.Parent.Kind is HandleKind.ModuleReference ? [] : EntityTypes(reader, types, member.Parent);
                if (member.GetKind() == MemberReferenceKind.Field)
                    return parent.AddRange(member.DecodeFieldSignature(types, null));
                return parent.AddRange(SignatureTypes.All(member.DecodeMethodSignature(types, null)));
            case HandleKind.MethodSpecification:
                var spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                return spec.DecodeSignature(types, null).Aggregate(EntityTypes(reader, types, spec.Method), (all, t) => all.AddRange(t));
            case HandleKind.StandaloneSignature:
                var standalone = reader.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                if (standalone.GetKind() != StandaloneSignatureKind.Method)
                    return standalone.DecodeLocalSignature(types, null).SelectMany(t => t).ToImmutableArray();
                return SignatureTypes.All(standalone.DecodeMethodSignature(types, null));
            default:
                // Type references (other assemblies), module references.
                return [];
        }
    }
}
