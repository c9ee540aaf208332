using System.Text;
using System.Buffers.Binary;

namespace Engine.Checkpoints;

/// <summary>One named tensor of a safetensors file, on the host: little-endian bytes, row-major.</summary>
/// <param name="Name">The state-dict key.</param>
/// <param name="Type">Element type.</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
/// <param name="Data">The raw little-endian bytes.</param>
public sealed record SafeTensor(string Name, SafeTensorType Type, long[] Shape, byte[] Data)
{
    /// <summary>Its members as values (the shape as <c>[2, 3]</c>, the data by its size), not the arrays' type names.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Name = {Name}, Type = {Type}, Shape = [{string.Join(", ", Shape)}], Data = {Data.Length} bytes");
        return true;
    }

    /// <summary>Element count.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes per element of a type.</summary>
    public static int SizeOf(SafeTensorType type) => type == SafeTensorType.I64 ? 8 : 4;

    /// <summary>A float32 tensor from values.</summary>
    public static SafeTensor FromFloats(string name, ReadOnlySpan<float> values, params long[] shape)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return new SafeTensor(name, SafeTensorType.F32, shape, bytes);
    }

    /// <summary>An int64 tensor from values.</summary>
    public static SafeTensor FromLongs(string name, ReadOnlySpan<long> values, params long[] shape)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return new SafeTensor(name, SafeTensorType.I64, shape, bytes);
    }

    /// <summary>The values as float32 (F32 only).</summary>
    public float[] ToFloats()
    {
        if (Type != SafeTensorType.F32)
            throw new InvalidDataException($"Tensor '{Name}' holds {Type}, not F32.");
        var values = new float[Data.Length / 4];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(Data.AsSpan(i * 4));
        return values;
    }

    /// <summary>The values as int64 (I64 or I32).</summary>
    public long[] ToLongs() => Type switch
    {
        SafeTensorType.I64 => Enumerable.Range(0, Data.Length / 8).Select(i => BinaryPrimitives.ReadInt64LittleEndian(Data.AsSpan(i * 8))).ToArray(),
        SafeTensorType.I32 => Enumerable.Range(0, Data.Length / 4).Select(i => (long)BinaryPrimitives.ReadInt32LittleEndian(Data.AsSpan(i * 4))).ToArray(),
        _ => throw new InvalidDataException($"Tensor '{Name}' holds {Type}, not an integer type."),
    };

    /// <summary><c>[2, 3]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
