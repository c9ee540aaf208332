using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// A of the weight gradient: the output gradient of a run of images as one channel-major matrix
/// <c>[CoutG, images * OutH * OutW]</c>, read in place from <c>[N, Cout, OutH, OutW]</c> (no
/// transposing launch), cut along K into slices of <see cref="Depth"/> columns: batch entry
/// <c>s</c> (the batch base, launched with stride 1) multiplies columns
/// <c>[s * Depth, (s + 1) * Depth)</c>, and reads zero past <see cref="KTotal"/>, so a shorter last
/// slice needs no launch of its own. When <see cref="Masked"/>, the values are the gradient through
/// a ReLU taken on the fly: zero where the mask (the pre-activation, shaped as the gradient) is not
/// positive, as ReLU's backward gives (NaN passes).
/// </summary>
public readonly struct ConvGradientRows : IGemmOperand
{
    /// <summary>Output pixels per channel, <c>OutH * OutW</c>.</summary>
    public readonly int Plane;
    /// <summary>Elements between images, <c>Cout * OutH * OutW</c>.</summary>
    public readonly long ImageStride;
    /// <summary>Columns per slice.</summary>
    public readonly int Depth;
    /// <summary>Columns in all, <c>images * OutH * OutW</c>.</summary>
    public readonly int KTotal;
    /// <summary>1 to take the gradient through a ReLU whose pre-activation is the mask view, 0 to read the gradient as it is.</summary>
    public readonly int Masked;

    /// <summary>The output gradient of <paramref name="images"/> images of <paramref name="geometry"/> in slices of <paramref name="depth"/>, through a ReLU when <paramref name="masked"/>.</summary>
    public ConvGradientRows(ConvGeometry geometry, int images, int depth, bool masked)
    {
        Masked = masked ? 1 : 0;
        Plane = geometry.OutH * geometry.OutW;
        ImageStride = (long)geometry.OutChannels * Plane;
        Depth = depth;
        KTotal = images * Plane;
    }

    /// <inheritdoc/>
    public bool ColumnsContiguous => true;

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, long batchBase, int row, int col, int ld)
    {
        long k = batchBase * Depth + col;
        bool inside = k < KTotal;
        long at = inside ? k : 0;
        long image = at / Plane;
        long pixel = at - image * Plane;
        long index = image * ImageStride + (long)row * Plane + pixel;
        return ConvGather.ThroughRelu(data, mask, Masked, index, inside);
    }
}
