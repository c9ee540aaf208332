using System.Globalization;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// What was predicted for the check's rows before a GPU ran them (issue 24, item 5), read from a
/// tab-separated file (GpuCheck/predictions.tsv): <c>case, pass, unit, predicted, basis</c>, with
/// <c>#</c> comments. A prediction not yet made reads <c>TBD</c> and is shown so.
/// </summary>
internal sealed class Predictions
{
    private readonly Dictionary<(string Case, string Pass), (string Unit, string Value)> _rows = new();

    /// <summary>No predictions (no file given).</summary>
    public static Predictions None { get; } = new();

    /// <summary>Reads the file; throws <see cref="FormatException"/> naming the line that has fewer than four fields.</summary>
    public static Predictions Load(string path)
    {
        var predictions = new Predictions();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0 || line[0] == '#')
                continue;
            var f = line.Split('\t');
            if (f.Length < 4)
                throw new FormatException($"{path}:{number}: expected 'case<TAB>pass<TAB>unit<TAB>predicted[<TAB>basis]', got '{line}'");
            predictions._rows[(f[0].Trim(), f[1].Trim())] = (f[2].Trim(), f[3].Trim());
        }
        return predictions;
    }

    /// <summary>The prediction for a case and pass as text with its unit (<c>TBD</c> where not made), or null when the file has no row for it.</summary>
    public string? For(string caseName, string pass)
    {
        if (!_rows.TryGetValue((caseName, pass), out var p))
            return null;
        return double.TryParse(p.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? $"{p.Value} {p.Unit}" : p.Value;
    }

    /// <summary>Measured over predicted, when both are numbers in the same unit.</summary>
    public double? Ratio(string caseName, string pass, double? measured, string unit)
    {
        if (measured is not double m || !_rows.TryGetValue((caseName, pass), out var p) || p.Unit != unit)
            return null;
        return double.TryParse(p.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 ? m / v : null;
    }
}
