namespace Engine.Bench.Cases;

/// <summary>One convolution layer at batch 8; <see cref="Flops"/> counts the forward pass (the backward pass costs twice that).</summary>
public sealed record ConvCase(string Name, int N, int Cin, int H, int W, int Cout, int K, int Stride, int Padding, int Dilation, bool Transposed) : IFlopCounted
{
    /// <summary>Output height.</summary>
    public int OutH => Transposed ? (H - 1) * Stride - 2 * Padding + Dilation * (K - 1) + 1 : (H + 2 * Padding - Dilation * (K - 1) - 1) / Stride + 1;

    /// <summary>Output width.</summary>
    public int OutW => Transposed ? (W - 1) * Stride - 2 * Padding + Dilation * (K - 1) + 1 : (W + 2 * Padding - Dilation * (K - 1) - 1) / Stride + 1;

    /// <summary>Multiply-adds of the layer times 2 (a transposed convolution counts its useful products, not the inserted zeros).</summary>
    public double Flops => Transposed ? 2.0 * N * Cin * H * W * Cout * K * K : 2.0 * N * Cout * OutH * OutW * Cin * K * K;

    /// <summary>The layers of the issue: 3x3 64 -> 64 at 56x56, a 1x1, a strided and a dilated one, and U-Net's up-convolution.</summary>
    public static IEnumerable<ConvCase> All()
    {
        yield return new("3x3", 8, 64, 56, 56, 64, 3, 1, 1, 1, false);
        yield return new("1x1", 8, 64, 56, 56, 256, 1, 1, 0, 1, false);
        yield return new("3x3-s2", 8, 64, 56, 56, 128, 3, 2, 1, 1, false);
        yield return new("3x3-d2", 8, 64, 56, 56, 64, 3, 1, 2, 2, false);
        yield return new("up-2x2-s2", 8, 128, 28, 28, 64, 2, 2, 0, 1, true);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
