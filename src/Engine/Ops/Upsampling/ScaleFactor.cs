namespace Engine.Ops.Upsampling;

/// <summary>
/// <c>interpolate</c>'s <c>scale_factor</c>, one per spatial axis as PyTorch takes it: one number
/// converts implicitly to the same factor on both axes, so <c>scaleFactor: 2</c> and
/// <c>scaleFactor: (2, 1.5)</c> both work.
/// </summary>
/// <param name="H">Factor along the height.</param>
/// <param name="W">Factor along the width.</param>
public readonly record struct ScaleFactor(double H, double W)
{
    /// <summary>The same factor on both axes.</summary>
    public static implicit operator ScaleFactor(double value) => new(value, value);

    /// <summary>A tuple as (height, width).</summary>
    public static implicit operator ScaleFactor((double H, double W) value) => new(value.H, value.W);

    /// <summary><c>(h, w)</c>.</summary>
    public override string ToString() => FormattableString.Invariant($"({H}, {W})");
}
