namespace Engine.Ops.Convolution;

/// <summary>
/// A (height, width) pair, as PyTorch's <c>_pair</c>: one int converts implicitly to a square pair,
/// so <c>stride: 2</c> and <c>stride: (2, 1)</c> both work.
/// </summary>
/// <param name="H">Height component.</param>
/// <param name="W">Width component.</param>
public readonly record struct Pair(int H, int W)
{
    /// <summary>The same value on both axes.</summary>
    public static implicit operator Pair(int value) => new(value, value);

    /// <summary>A tuple as (height, width).</summary>
    public static implicit operator Pair((int H, int W) value) => new(value.H, value.W);

    /// <summary><c>(h, w)</c>.</summary>
    public override string ToString() => $"({H}, {W})";
}
