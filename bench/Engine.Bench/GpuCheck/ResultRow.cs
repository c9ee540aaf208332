using System.Globalization;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// One measured row of the GPU check, in the format the engine's report and the PyTorch peer
/// (bench/peer/torch_peer.py) both write: a tab-separated line in the rows file and an aligned
/// line on the console. <c>(Section, Case, Pass)</c> joins the sources' rows.
/// </summary>
/// <param name="Source">engine, cublas or torch.</param>
/// <param name="Section">gemm, conv, train or check.</param>
/// <param name="Case">The case's name (bench/Shared, <see cref="GpuCheckCase"/>).</param>
/// <param name="Pass">gemm; forward or forward+backward; step; what a check compared.</param>
/// <param name="Ms">Milliseconds per run (median of the timed repetitions), or null when it did not run.</param>
/// <param name="Value">GFLOP/s, images/s or a check's measured error; null when it did not run.</param>
/// <param name="Unit">The unit of <paramref name="Value"/>.</param>
/// <param name="Note">Free text: what ran, the check's verdict, or why nothing was measured.</param>
internal sealed record ResultRow(string Source, string Section, string Case, string Pass, double? Ms, double? Value, string Unit, string Note)
{
    /// <summary>The rows file's header line.</summary>
    public const string TsvHeader = "# source\tsection\tcase\tpass\tms\tvalue\tunit\tnote";

    /// <summary>The row as one tab-separated line.</summary>
    public string ToTsv() => string.Join('\t', Source, Section, Case, Pass, Number(Ms, "0.0000"), FormatValue(), Unit, Clean(Note));

    /// <summary>The row as the console shows it (the peer prints the same columns).</summary>
    public string Format() =>
        $"{Source,-6} {Section,-5} {Case,-20} {Pass,-16} {Number(Ms, "0.000"),10} ms {FormatValue(),10} {Unit,-9} {Note}".TrimEnd();

    /// <summary>The value as both files show it: scientific for a check's relative error, one decimal otherwise.</summary>
    public string FormatValue() => Value is double v && Section == "check" && Unit != "elements" ? v.ToString("0.0e+00", CultureInfo.InvariantCulture) : Number(Value, "0.0");

    /// <summary>Reads a line written by <see cref="ToTsv"/> (by either source); null for comments, blank or short lines.</summary>
    public static ResultRow? Parse(string line)
    {
        if (line.Length == 0 || line[0] == '#')
            return null;
        var f = line.Split('\t');
        if (f.Length < 7)
            return null;
        return new ResultRow(f[0], f[1], f[2], f[3], ParseNumber(f[4]), ParseNumber(f[5]), f[6], f.Length > 7 ? f[7] : "");
    }

    private static string Number(double? value, string format) => value is double v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static double? ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;

    private static string Clean(string text) => text.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');
}
