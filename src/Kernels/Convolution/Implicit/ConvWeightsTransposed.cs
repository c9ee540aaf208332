using Engine.Kernels.Blas;
using ILGPU;

namespace Engine.Kernels.Convolution.Implicit;

/// <summary>
/// A of the input gradient: one group's weights <c>[CoutG, CinG, KH, KW]</c> read as
/// <c>[CinG, CoutG * KH * KW]</c>, row <c>ci</c>, column <c>co * KH * KW + tap</c>, cut along K into
/// slices of <see cref="Depth"/> columns as <see cref="ConvGradientColumns"/> is: batch entry
/// <c>z</c> (the batch base, launched with stride 1) is slice <c>z / Images</c>; zero past <see cref="KTotal"/>.
/// </summary>
public readonly struct ConvWeightsTransposed : IGemmOperand
{
    /// <summary>Taps per kernel, <c>KH * KW</c>.</summary>
    public readonly int Taps;
    /// <summary>Input channels per group.</summary>
    public readonly int InPerGroup;
    /// <summary>Images per slice (batch entries <c>[s * Images, (s + 1) * Images)</c> are slice s).</summary>
    public readonly int Images;
    /// <summary>Columns per slice.</summary>
    public readonly int Depth;
    /// <summary>Columns in all, <c>CoutG * KH * KW</c>.</summary>
    public readonly int KTotal;

    /// <summary>The weights of <paramref name="geometry"/> for <paramref name="images"/> images in slices of <paramref name="depth"/>.</summary>
    public ConvWeightsTransposed(ConvGeometry geometry, int images, int depth)
    {
        Taps = geometry.KH * geometry.KW;
        InPerGroup = geometry.InChannelsPerGroup;
        Images = images;
        Depth = depth;
        KTotal = geometry.OutChannelsPerGroup * Taps;
    }

    /// <inheritdoc/>
    public bool ColumnsContiguous => true;

    /// <inheritdoc/>
    public float Load(ArrayView<float> data, ArrayView<float> mask, long batchBase, int row, int col, int ld)
    {
        long k = batchBase / Images * Depth + col;
        bool inside = k < KTotal;
        int at = inside ? (int)k : 0;
        int outChannel = at / Taps;
        int tap = at - outChannel * Taps;
        float value = data[((long)outChannel * InPerGroup + row) * Taps + tap];
        return inside ? value : 0f;
    }
}
