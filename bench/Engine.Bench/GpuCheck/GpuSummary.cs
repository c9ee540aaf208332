using System.Globalization;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// <c>gpu-summary</c>: the GPU check's rows joined into one table at the end of a run: per case and
/// pass, the engine's time and rate, its share of the FP32 peak, cuBLAS's rate and the engine's
/// speed relative to it, PyTorch's rate and the engine's speed relative to it (its time over the
/// engine's: above 1x the engine is faster), the prediction and the issue's target; then the
/// checks. Reads only files, so it runs after the parts that measured, whatever became of them.
/// </summary>
internal static class GpuSummary
{
    private const string Usage = "usage: gpu-summary --rows ENGINE.tsv [--peer TORCH.tsv] [--predictions FILE]";

    public static int Run(string[] args)
    {
        string? rowsFile = null, peerFile = null, predictionsFile = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rows" when i + 1 < args.Length: rowsFile = args[++i]; break;
                case "--peer" when i + 1 < args.Length: peerFile = args[++i]; break;
                case "--predictions" when i + 1 < args.Length: predictionsFile = args[++i]; break;
                default:
                    Console.Error.WriteLine($"gpu-summary: unexpected argument '{args[i]}'; {Usage}");
                    return 2;
            }
        }
        if (rowsFile is null)
        {
            Console.Error.WriteLine($"gpu-summary: {Usage}");
            return 2;
        }
        try
        {
            var engineRows = Read(rowsFile, out var facts);
            var peerRows = peerFile is not null && File.Exists(peerFile) ? Read(peerFile, out _) : [];
            var predictions = predictionsFile is null ? Predictions.None : Predictions.Load(predictionsFile);
            Print(engineRows, peerRows, facts, predictions, peerFile);
            return 0;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"gpu-summary: FAILED: {GpuReport.OneLine(e.Message)}");
            return 1;
        }
    }

    private static void Print(List<ResultRow> engineRows, List<ResultRow> peerRows, Dictionary<string, string> facts, Predictions predictions, string? peerFile)
    {
        var c = CultureInfo.InvariantCulture;
        double? peak = facts.TryGetValue("peak-gflops", out var p) && double.TryParse(p, NumberStyles.Float, c, out double v) ? v : null;
        Console.WriteLine($"device: {facts.GetValueOrDefault("device", "unknown")}");
        Console.WriteLine($"FP32 peak: {facts.GetValueOrDefault("fp32-peak", "unknown")}");
        Console.WriteLine($"cuBLAS: {facts.GetValueOrDefault("cublas", "unknown")}");
        Console.WriteLine(peerRows.Count > 0 ? $"PyTorch: {peerRows.Count} rows ({peerFile})" : "PyTorch: no rows (the peer did not run or measured nothing)");
        Console.WriteLine("speed ratios are times inverted: engine/x = x's time / the engine's time (above 1x the engine is faster)");
        Console.WriteLine();
        Console.WriteLine($"{"section",-7} {"case",-20} {"pass",-16} {"engine ms",10} {"engine",10} {"unit",-9} {"of peak",7} {"cuBLAS",9} {"engine/cuBLAS",13} {"torch",9} {"engine/torch",12}  predicted (measured/predicted); target");
        var measured = engineRows.Where(r => r.Source == "engine" && r.Section != "check").ToList();
        foreach (var e in measured)
        {
            var blas = engineRows.FirstOrDefault(r => r.Source == "cublas" && Same(r, e) && r.Section != "check");
            var torch = peerRows.FirstOrDefault(r => r.Source == "torch" && Same(r, e));
            string ofPeak = e.Unit == "GFLOP/s" && e.Value is double g && peak is double pk ? (100 * g / pk).ToString("0.0", c) + "%" : "-";
            string predicted = predictions.For(e.Case, e.Pass) is string text
                ? text + (predictions.Ratio(e.Case, e.Pass, e.Value, e.Unit) is double ratio ? $" ({ratio.ToString("0.00", c)}x)" : "")
                : "-";
            string target = GpuCheckCases.Target(e.Case) is string goal ? "; " + goal : "";
            string ms = e.Ms is double m ? m.ToString("0.000", c) : "-";
            string note = e.Ms is null ? "  " + e.Note : "";
            Console.WriteLine($"{e.Section,-7} {e.Case,-20} {e.Pass,-16} {ms,10} {e.FormatValue(),10} {e.Unit,-9} {ofPeak,7} {Value(blas),9} {Ratio(e, blas),13} {Value(torch),9} {Ratio(e, torch),12}  {predicted}{target}{note}");
        }
        foreach (var t in peerRows.Where(r => r.Source == "torch" && !measured.Any(e => Same(e, r))))
            Console.WriteLine($"{t.Section,-7} {t.Case,-20} {t.Pass,-16} {"-",10} {"-",10} {t.Unit,-9} {"-",7} {"-",9} {"-",13} {t.FormatValue(),9} {"-",12}  (the engine has no row for it)");
        var checks = engineRows.Where(r => r.Section == "check").ToList();
        if (checks.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("checks:");
            foreach (var r in checks)
                Console.WriteLine($"  {r.Source,-6} {r.Case,-10} {r.Pass,-14} {r.FormatValue(),9} {r.Unit,-12} {r.Note}");
        }
    }

    private static bool Same(ResultRow a, ResultRow b) => a.Section == b.Section && a.Case == b.Case && a.Pass == b.Pass;

    private static string Value(ResultRow? r) => r?.Value is double ? r.FormatValue() : "-";

    // The engine's speed relative to another source's on the same case: their time over the engine's.
    private static string Ratio(ResultRow engine, ResultRow? other) =>
        engine.Ms is double e && other?.Ms is double o && e > 0 ? (o / e).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";

    private static List<ResultRow> Read(string path, out Dictionary<string, string> facts)
    {
        facts = new Dictionary<string, string>();
        var rows = new List<ResultRow>();
        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith("# ", StringComparison.Ordinal) && line.IndexOf(": ", StringComparison.Ordinal) is int colon and > 2)
                facts[line[2..colon]] = line[(colon + 2)..];
            else if (ResultRow.Parse(line) is { } row)
                rows.Add(row);
        }
        return rows;
    }
}
