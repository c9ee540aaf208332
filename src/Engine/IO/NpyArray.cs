namespace Engine.IO;

/// <summary>An array read from or written to NumPy's .npy format: float32 values, C order.</summary>
/// <param name="Shape">Dimensions.</param>
/// <param name="Data">Values, row-major.</param>
public sealed record NpyArray(int[] Shape, float[] Data);
