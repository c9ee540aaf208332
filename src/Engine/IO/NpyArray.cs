using System.Text;

namespace Engine.IO;

/// <summary>An array read from or written to NumPy's .npy format: float32 values, C order.</summary>
/// <param name="Shape">Dimensions.</param>
/// <param name="Data">Values, row-major.</param>
public sealed record NpyArray(int[] Shape, float[] Data)
{
    /// <summary>Its members as values (the shape as <c>[2, 3]</c>, the data by its size), not the arrays' type names.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Shape = [{string.Join(", ", Shape)}], Data = {Data.Length} values");
        return true;
    }
}
