using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// B of the input gradient: <c>[CoutG * KH * KW, H * W]</c> gathered from one image's output
/// gradient (<see cref="ConvGather.OutputGradient"/>), so the product with
/// <see cref="ConvWeightsTransposed"/> is col2im's result with no column buffer. Batch entry
/// <c>z</c> is image <c>z % Images</c>, K slice <c>z / Images</c>.
/// <see cref="Masked"/> takes the gradient through a ReLU as <see cref="ConvGradientRows"/> does.
/// </summary>
public readonly struct ConvGradientColumns : IGemmOperand<ConvGradientColumns>
{
    /// <summary>The convolution.</summary>
    public readonly ConvGeometry Geometry;
    /// <summary>Its divisors.</summary>
    public readonly ConvDivisors Divisors;
    /// <summary>Images per slice.</summary>
    public readonly int Images;
    /// <summary>Rows per slice.</summary>
    public readonly int Depth;
    /// <summary>Rows in all, <c>CoutG * KH * KW</c>.</summary>
    public readonly int KTotal;
    /// <summary>Elements between images of the output gradient, <c>Cout * OutH * OutW</c>.</summary>
    public readonly long ImageStride;
    /// <summary>1 to take the gradient through a ReLU whose pre-activation is the mask view.</summary>
    public readonly int Masked;
    /// <summary>The first row of the bound slice (set by <see cref="ForBatch"/>).</summary>
    public readonly int KBase;

    /// <summary>The gathered output gradient of <paramref name="images"/> images of <paramref name="geometry"/> in slices of <paramref name="depth"/>, through a ReLU when <paramref name="masked"/>.</summary>
    public ConvGradientColumns(ConvGeometry geometry, int images, int depth, bool masked)
    {
        Masked = masked ? 1 : 0;
        Geometry = geometry;
        Divisors = new ConvDivisors(geometry);
        Images = images;
        Depth = depth;
        KTotal = geometry.OutChannelsPerGroup * geometry.KH * geometry.KW;
        ImageStride = (long)geometry.OutChannels * geometry.OutH * geometry.OutW;
        KBase = 0;
    }

    private ConvGradientColumns(ConvGradientColumns other, int kBase)
    {
        this = other;
        KBase = kBase;
    }

    /// <inheritdoc/>
    public bool SplitsK => true;

    /// <inheritdoc/>
    public bool ColumnsContiguous => true;

    /// <inheritdoc/>
    public ConvGradientColumns ForBatch(int batch, long stride, out long offset)
    {
        int slice = batch / Images; // once per block
        offset = (batch - slice * Images) * ImageStride;
        return new ConvGradientColumns(this, slice * Depth);
    }

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, int row, int col, int ld)
    {
        int k = KBase + row;
        bool inside = k < KTotal;
        float value = ConvGather.OutputGradient(data, mask, Masked, Geometry, Divisors, inside ? k : 0, col);
        return inside ? value : 0f;
    }
}
