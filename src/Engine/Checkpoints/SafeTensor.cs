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
    public static int SizeOf(SafeTensorType type) => type switch
    {
        SafeTensorType.I64 => 8,
        SafeTensorType.F16 or SafeTensorType.BF16 => 2,
        _ => 4,
    };

    /// <summary>Whether a type holds floating-point values (F32, or F16 and BF16, which widen to F32 exactly).</summary>
    public static bool IsFloat(SafeTensorType type) => type is SafeTensorType.F32 or SafeTensorType.F16 or SafeTensorType.BF16;

    /// <summary>
    /// Widens little-endian values of a float type to float32: F32 as they are, F16 through
    /// <see cref="Half"/> and BF16 as the upper half of a float32's bits, both exactly.
    /// </summary>
    internal static void Widen(SafeTensorType type, ReadOnlySpan<byte> bytes, Span<float> values)
    {
        switch (type)
        {
            case SafeTensorType.F32:
                for (int i = 0; i < values.Length; i++)
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                break;
            case SafeTensorType.F16:
                for (int i = 0; i < values.Length; i++)
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                break;
            case SafeTensorType.BF16:
                for (int i = 0; i < values.Length; i++)
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) << 16);
                break;
            default:
                throw new InvalidDataException($"{type} does not hold floats.");
        }
    }

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

    /// <summary>The values as float32 (F32, or F16 and BF16 widened exactly).</summary>
    public float[] ToFloats()
    {
        if (!IsFloat(Type))
            throw new InvalidDataException($"Tensor '{Name}' holds {Type}, not floats (F32, F16 or BF16).");
        var values = new float[Data.Length / SizeOf(Type)];
        Widen(Type, Data, values);
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
