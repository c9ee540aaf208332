using BenchmarkDotNet.Attributes;
using Engine.Bench.Cases;
using static TorchSharp.torch;

namespace Engine.Bench.Peer;

/// <summary>LibTorch's GEMM on the engine suite's shapes (batched with <c>bmm</c>, broadcasting A where the engine does).</summary>
public class GemmBenchmarks
{
    private Tensor _a = null!, _b = null!;

    /// <summary>Problem shape.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    public static IEnumerable<GemmShape> Shapes() => GemmShape.All();

    [GlobalSetup]
    public void Setup()
    {
        var s = Shape;
        // A shared by the batch (BroadcastA) is a stride-0 expansion, as the engine reads it; a
        // transposed one is materialised, since LibTorch's bmm is slow on expanded transposed views.
        var a = full(s.TransposeA ? [1, s.K, s.M] : new long[] { 1, s.M, s.K }, 0.5f);
        _a = (s.TransposeA ? a.transpose(1, 2) : a).expand(s.Batch, s.M, s.K);
        if (!s.BroadcastA || s.TransposeA)
            _a = _a.contiguous();
        var b = full(s.TransposeB ? [s.Batch, s.N, s.K] : new long[] { s.Batch, s.K, s.N }, 0.25f);
        _b = s.TransposeB ? b.transpose(1, 2) : b;
        Gemm();
    }

    [Benchmark]
    public void Gemm()
    {
        using var c = bmm(_a, _b);
    }
}
