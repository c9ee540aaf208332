using System.Collections.Immutable;
using System.Reflection.Metadata;

namespace Engine.Tests.Architecture;

/// <summary>
/// Decodes a signature blob (a field's type, a method's parameters and return, locals, a generic
/// instantiation) into the top-level types of the assembly it names, generic arguments, arrays,
/// pointers and modifiers included. Types of other assemblies decode to nothing: a namespace cycle
/// can only close inside one assembly, since project references point one way.
/// </summary>
internal sealed class SignatureTypes(Func<TypeDefinitionHandle, string> owner)
    : ISignatureTypeProvider<ImmutableArray<string>, object?>
{
    public ImmutableArray<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
        [owner(handle)];

    public ImmutableArray<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [];

    public ImmutableArray<string> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
        reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

    public ImmutableArray<string> GetGenericInstantiation(ImmutableArray<string> genericType, ImmutableArray<ImmutableArray<string>> typeArguments) =>
        typeArguments.Aggregate(genericType, (all, argument) => all.AddRange(argument));

    /// <summary>The types a decoded method signature names: its return type's and every parameter's.</summary>
    public static ImmutableArray<string> All(MethodSignature<ImmutableArray<string>> signature) =>
        signature.ParameterTypes.Aggregate(signature.ReturnType, (all, parameter) => all.AddRange(parameter));

    public ImmutableArray<string> GetFunctionPointerType(MethodSignature<ImmutableArray<string>> signature) => All(signature);

    public ImmutableArray<string> GetModifiedType(ImmutableArray<string> modifier, ImmutableArray<string> unmodifiedType, bool isRequired) =>
        unmodifiedType.AddRange(modifier);

    public ImmutableArray<string> GetArrayType(ImmutableArray<string> elementType, ArrayShape shape) => elementType;
    public ImmutableArray<string> GetSZArrayType(ImmutableArray<string> elementType) => elementType;
    public ImmutableArray<string> GetByReferenceType(ImmutableArray<string> elementType) => elementType;
    public ImmutableArray<string> GetPointerType(ImmutableArray<string> elementType) => elementType;
    public ImmutableArray<string> GetPinnedType(ImmutableArray<string> elementType) => elementType;
    public ImmutableArray<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];
    public ImmutableArray<string> GetGenericMethodParameter(object? genericContext, int index) => [];
    public ImmutableArray<string> GetGenericTypeParameter(object? genericContext, int index) => [];
}
