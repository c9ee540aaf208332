using System.Text.Json;

namespace Engine.Bench.Compare;

/// <summary>
/// Mean times of a BenchmarkDotNet run, read from its full JSON reports, by
/// <c>Type.Method(parameters)</c> with the device parameter dropped (the join key between the suites).
/// </summary>
internal static class BenchmarkResults
{
    public static Dictionary<string, double> Read(string folder)
    {
        var means = new Dictionary<string, double>();
        if (!Directory.Exists(folder))
            return means;
        foreach (string file in Directory.EnumerateFiles(folder, "*-report-full.json", SearchOption.AllDirectories))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var benchmark in document.RootElement.GetProperty("Benchmarks").EnumerateArray())
            {
                if (!benchmark.TryGetProperty("Statistics", out var statistics) || statistics.ValueKind != JsonValueKind.Object)
                    continue;
                string parameters = string.Join("&", (benchmark.GetProperty("Parameters").GetString() ?? "")
                    .Split('&', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("Device=", StringComparison.Ordinal)));
                string key = $"{benchmark.GetProperty("Type").GetString()}.{benchmark.GetProperty("Method").GetString()}({parameters})";
                means[key] = statistics.GetProperty("Mean").GetDouble();
            }
        }
        return means;
    }

    /// <summary>Peak bytes per case from a TSV of <c>name\tbytes</c>.</summary>
    public static Dictionary<string, long> ReadMemory(string path) => !File.Exists(path) ? new()
        : File.ReadAllLines(path).Select(l => l.Split('\t')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
}
