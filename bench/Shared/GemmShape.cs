namespace Engine.Bench.Cases;

/// <summary>One GEMM problem: <c>batch x ([M, K] x [K, N])</c> with the operands' transposes.</summary>
public sealed record GemmShape(string Name, int M, int N, int K, int Batch, bool TransposeA, bool TransposeB, bool BroadcastA) : IFlopCounted
{
    /// <inheritdoc/>
    public double Flops => 2.0 * M * N * K * Batch;

    /// <summary>The square and convolution shapes the engine cares about (conv-*: batch 8, 3x3, 64 -> 64 channels, 56x56).</summary>
    public static IEnumerable<GemmShape> All()
    {
        yield return new("256^3", 256, 256, 256, 1, false, false, false);
        yield return new("1024^3", 1024, 1024, 1024, 1, false, false, false);
        // 3x3 convolution, 64 -> 64 channels, 56x56, batch 8, by im2col:
        // forward  Y[n] = W [64, 576] * cols[n] [576, 3136]       (W shared by the 8 images)
        yield return new("conv-fwd", 64, 56 * 56, 64 * 9, 8, false, false, true);
        // input gradient  dcols[n] = W^T [576, 64] * dY[n] [64, 3136]
        yield return new("conv-dX", 64 * 9, 56 * 56, 64, 8, true, false, true);
        // weight gradient dW += dY[n] [64, 3136] * cols[n]^T [3136, 576], per image
        yield return new("conv-dW", 64, 64 * 9, 56 * 56, 8, false, true, false);
    }

    /// <summary>The short name (BenchmarkDotNet cuts parameter texts at 20 characters).</summary>
    public override string ToString() => Name;
}
