namespace Engine.Models;

/// <summary>
/// Where a tensor's pixels lie in the input image: <c>pixel = Scale * input + Shift</c>, composed
/// layer by layer as Caffe's <c>coord_map.py</c> does, so a skip can be cropped to line up with
/// the prediction it is fused with. Scales and shifts are sums of powers of two, exact in a double.
/// </summary>
internal readonly record struct CoordinateMap(double Scale, double Shift)
{
    /// <summary>The input itself.</summary>
    public static CoordinateMap Identity => new(1, 0);

    /// <summary>After a convolution or pooling with kernel <paramref name="k"/>, stride <paramref name="s"/> and padding <paramref name="p"/>.</summary>
    public CoordinateMap Convolved(int k, int s, int p) => new(Scale / s, (Shift + p - (k - 1) / 2.0) / s);

    /// <summary>After a transposed convolution with kernel <paramref name="k"/>, stride <paramref name="s"/> and padding <paramref name="p"/>.</summary>
    public CoordinateMap Deconvolved(int k, int s, int p) => new(Scale * s, Shift * s + (k - 1) / 2.0 - p);

    /// <summary>
    /// The offset at which a tensor with this map is cropped to line up with one mapped by
    /// <paramref name="reference"/>: <c>Shift - reference.Shift</c>, which must be a whole number of
    /// at least 0 at the same scale.
    /// </summary>
    public int CropOffset(CoordinateMap reference, string what)
    {
        double offset = Shift - reference.Shift;
        if (Scale != reference.Scale || offset < 0 || offset != Math.Floor(offset))
            throw new ArgumentException($"FCN: {what} cannot be cropped to line up (scale {Scale} vs {reference.Scale}, offset {offset}); choose other paddings.");
        return (int)offset;
    }
}
