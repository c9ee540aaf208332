using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// A of the weight gradient: the output gradient of a run of images as one channel-major matrix
/// <c>[CoutG, images * OutH * OutW]</c>, read in place from <c>[N, Cout, OutH, OutW]</c> (no
/// transposing launch), cut along K into slices of <see cref="Depth"/> columns: batch entry
/// <c>s</c> multiplies columns <c>[s * Depth, (s + 1) * Depth)</c>, and reads zero past
/// <see cref="KTotal"/>, so a shorter last slice needs no launch of its own. When
/// <see cref="Masked"/>, the values are the gradient through a ReLU taken on the fly: zero where the
/// mask (the pre-activation, shaped as the gradient) is not positive, as ReLU's backward gives (NaN passes).
/// </summary>
public readonly struct ConvGradientRows : IGemmOperand<ConvGradientRows>
{
    /// <summary>Output pixels per channel, <c>OutH * OutW</c>, as a divisor.</summary>
    public readonly FastDivisor Plane;
    /// <summary>Elements between images, <c>Cout * OutH * OutW</c>.</summary>
    public readonly long ImageStride;
    /// <summary>Columns per slice.</summary>
    public readonly int Depth;
    /// <summary>Columns in all, <c>images * OutH * OutW</c>.</summary>
    public readonly int KTotal;
    /// <summary>1 to take the gradient through a ReLU whose pre-activation is the mask view, 0 to read the gradient as it is.</summary>
    public readonly int Masked;
    /// <summary>The first column of the bound slice (set by <see cref="ForBatch"/>).</summary>
    public readonly int KBase;

    /// <summary>The output gradient of <paramref name="images"/> images of <paramref name="geometry"/> in slices of <paramref name="depth"/>, through a ReLU when <paramref name="masked"/>.</summary>
    public ConvGradientRows(ConvGeometry geometry, int images, int depth, bool masked)
    {
        Masked = masked ? 1 : 0;
        Plane = new FastDivisor(geometry.OutH * geometry.OutW);
        ImageStride = (long)geometry.OutChannels * Plane.Divisor;
        Depth = depth;
        KTotal = images * Plane.Divisor;
        KBase = 0;
    }

    private ConvGradientRows(ConvGradientRows other, int kBase)
    {
        this = other;
        KBase = kBase;
    }

    /// <inheritdoc/>
    public bool SplitsK => true;

    /// <inheritdoc/>
    public bool ColumnsContiguous => true;

    /// <inheritdoc/>
    public ConvGradientRows ForBatch(int batch, long stride, out long offset)
    {
        offset = 0; // a slice's columns span images
        return new ConvGradientRows(this, batch * Depth);
    }

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, int row, int col, int ld)
    {
        int k = KBase + col;
        bool inside = k < KTotal;
        int image = Plane.DivRem(inside ? k : 0, out int pixel);
        long index = image * ImageStride + (row * Plane.Divisor + pixel);
        return ConvGather.ThroughRelu(data, mask, Masked, index, inside);
    }
}
