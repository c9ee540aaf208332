using System.Text;
namespace Engine.Checkpoints;

/// <summary>Where a tensor lies in a safetensors file, from its header (no data read).</summary>
/// <param name="Name">The key.</param>
/// <param name="Type">Element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Begin">First byte within the data section.</param>
/// <param name="End">One past the last byte.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorType Type, long[] Shape, long Begin, long End)
{
    /// <summary>Its members as values (the shape as <c>[2, 3]</c>, the data by its size), not the arrays' type names.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Name = {Name}, Type = {Type}, Shape = {ShapeText}, Begin = {Begin}, End = {End}");
        return true;
    }

    /// <summary>Element count (checked against the byte range when the header was read).</summary>
    public long Count => (End - Begin) / SafeTensor.SizeOf(Type);

    /// <summary><c>[2, 3]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
