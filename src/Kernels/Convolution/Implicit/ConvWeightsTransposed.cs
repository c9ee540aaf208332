using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// A of the input gradient: one group's weights <c>[CoutG, CinG, KH, KW]</c> read as
/// <c>[CinG, CoutG * KH * KW]</c>, row <c>ci</c>, column <c>co * KH * KW + tap</c>, cut along K into
/// slices of <see cref="Depth"/> columns as <see cref="ConvGradientColumns"/> is: batch entry
/// <c>z</c> is slice <c>z / Images</c>; zero past <see cref="KTotal"/>.
/// </summary>
public readonly struct ConvWeightsTransposed : IGemmOperand<ConvWeightsTransposed>
{
    /// <summary>Taps per kernel, <c>KH * KW</c>, as a divisor.</summary>
    public readonly FastDivisor Taps;
    /// <summary>Input channels per group.</summary>
    public readonly int InPerGroup;
    /// <summary>Images per slice (batch entries <c>[s * Images, (s + 1) * Images)</c> are slice s).</summary>
    public readonly int Images;
    /// <summary>Columns per slice.</summary>
    public readonly int Depth;
    /// <summary>Columns in all, <c>CoutG * KH * KW</c>.</summary>
    public readonly int KTotal;
    /// <summary>The first column of the bound slice (set by <see cref="ForBatch"/>).</summary>
    public readonly int KBase;

    /// <summary>The weights of <paramref name="geometry"/> for <paramref name="images"/> images in slices of <paramref name="depth"/>.</summary>
    public ConvWeightsTransposed(ConvGeometry geometry, int images, int depth)
    {
        Taps = new FastDivisor(geometry.KH * geometry.KW);
        InPerGroup = geometry.InChannelsPerGroup;
        Images = images;
        Depth = depth;
        KTotal = geometry.OutChannelsPerGroup * Taps.Divisor;
        KBase = 0;
    }

    private ConvWeightsTransposed(ConvWeightsTransposed other, int kBase)
    {
        this = other;
        KBase = kBase;
    }

    /// <inheritdoc/>
    public bool SplitsK => true;

    /// <inheritdoc/>
    public bool ColumnsContiguous => true;

    /// <inheritdoc/>
    public ConvWeightsTransposed ForBatch(int batch, long stride, out long offset)
    {
        offset = 0; // one group's weights serve every image
        return new ConvWeightsTransposed(this, batch / Images * Depth);
    }

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, int row, int col, int ld)
    {
        int k = KBase + col;
        bool inside = k < KTotal;
        int outChannel = Taps.DivRem(inside ? k : 0, out int tap);
        float value = data[(outChannel * InPerGroup + row) * Taps.Divisor + tap];
        return inside ? value : 0f;
    }
}
