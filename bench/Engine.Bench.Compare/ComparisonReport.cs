using System.Globalization;
using System.Text;
using Engine.Bench.Cases;

namespace Engine.Bench.Compare;

/// <summary>
/// The side-by-side table: each case's time in LibTorch and in the engine from the same run, the
/// speed ratio (LibTorch time / engine time: 1 is parity, 0.5 half LibTorch's speed), the
/// arithmetic rate against the measured FP32 limit where the work is known, images per second for
/// the models, and the peak memory of each training step.
/// </summary>
internal static class ComparisonReport
{
    public static string Build(string folder)
    {
        var engine = BenchmarkResults.Read(Path.Combine(folder, "engine"));
        var peer = BenchmarkResults.Read(Path.Combine(folder, "peer"));
        var engineMemory = BenchmarkResults.ReadMemory(Path.Combine(folder, "engine-memory.tsv"));
        var peerMemory = BenchmarkResults.ReadMemory(Path.Combine(folder, "peer-memory.tsv"));
        double peak = FloatPeak.GflopsPerSecond();
        var text = new StringBuilder();
        text.AppendLine($"Measured FP32 limit: {F(peak, 0)} GFLOP/s ({Environment.ProcessorCount} cores, widest accelerated vectors). Ratio = LibTorch time / engine time (1 = parity).");
        text.AppendLine();
        text.AppendLine("| case | LibTorch | engine | ratio | LibTorch GFLOP/s (% of limit) | engine GFLOP/s (% of limit) |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var s in GemmShape.All())
            Row(text, $"GEMM {s.Name}", $"GemmBenchmarks.Gemm(Shape={s.Name})", engine, peer, s.Flops, peak);
        foreach (var c in ConvCase.All())
        {
            Row(text, $"conv {c.Name} forward", $"ConvBenchmarks.Forward(Case={c.Name})", engine, peer, c.Flops, peak);
            Row(text, $"conv {c.Name} forward + backward", $"ConvBenchmarks.ForwardBackward(Case={c.Name})", engine, peer, 3 * c.Flops, peak);
        }
        foreach (string op in new[] { "MaxPool", "MaxUnpool", "Bilinear", "BatchNorm" })
            Row(text, $"{op} forward + backward", $"ResampleBenchmarks.{op}()", engine, peer, 0, peak);
        text.AppendLine();
        text.AppendLine("| model | batch | LibTorch img/s | engine img/s | ratio | LibTorch peak MiB | engine peak MiB |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var c in ModelCase.Training())
            ModelRow(text, $"{c.Name} training step", c, $"TrainingStepBenchmarks.Step(Case={c.Name})", engine, peer, engineMemory, peerMemory);
        foreach (var c in ModelCase.Inference())
            ModelRow(text, $"{c.Name} inference", c, $"InferenceBenchmarks.Forward(Case={c.Name})", engine, peer, null, null);
        return text.ToString();
    }

    private static void Row(StringBuilder text, string label, string key, Dictionary<string, double> engine, Dictionary<string, double> peer, double flops, double peak)
    {
        if (!engine.TryGetValue(key, out double e) && !peer.TryGetValue(key, out _))
            return;
        bool hasEngine = engine.TryGetValue(key, out e);
        bool hasPeer = peer.TryGetValue(key, out double p);
        string Rate(bool has, double ns) => !has || flops == 0 ? "" : $"{F(flops / ns, 1)} ({F(100 * flops / ns / peak, 0)}%)";
        text.AppendLine($"| {label} | {Time(hasPeer, p)} | {Time(hasEngine, e)} | {(hasEngine && hasPeer ? F(p / e, 2) : "")} | {Rate(hasPeer, p)} | {Rate(hasEngine, e)} |");
    }

    private static void ModelRow(StringBuilder text, string label, ModelCase c, string key, Dictionary<string, double> engine, Dictionary<string, double> peer,
        Dictionary<string, long>? engineMemory, Dictionary<string, long>? peerMemory)
    {
        bool hasEngine = engine.TryGetValue(key, out double e);
        bool hasPeer = peer.TryGetValue(key, out double p);
        if (!hasEngine && !hasPeer)
            return;
        string Images(bool has, double ns) => has ? F(c.Batch / (ns / 1e9), 0) : "";
        string Memory(Dictionary<string, long>? m) => m is not null && m.TryGetValue(c.Name, out long bytes) ? F(bytes / 1048576.0, 0) : "";
        text.AppendLine($"| {label} | {c.Batch} | {Images(hasPeer, p)} | {Images(hasEngine, e)} | {(hasEngine && hasPeer ? F(p / e, 2) : "")} | {Memory(peerMemory)} | {Memory(engineMemory)} |");
    }

    private static string Time(bool has, double ns) => !has ? "" : ns >= 1e6 ? $"{F(ns / 1e6, 2)} ms" : $"{F(ns / 1e3, 1)} us";

    private static string F(double value, int digits) => value.ToString("F" + digits, CultureInfo.InvariantCulture);
}
