namespace Engine.Bench.GpuCheck;

/// <summary>
/// Where the GPU check's rows go the moment they are measured: appended to the rows file (flushed
/// at once, so a run killed by its time limit keeps every row before the case that ran out) and
/// printed. Comment lines (<c># key: value</c>) carry what the summary needs beside the rows: the
/// device, its FP32 peak, cuBLAS's version.
/// </summary>
internal sealed class RowLog : IDisposable
{
    private readonly StreamWriter? _file;

    /// <summary>Opens (creates or truncates) the rows file; null writes to the console only.</summary>
    public RowLog(string? path)
    {
        if (path is null)
            return;
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
            Directory.CreateDirectory(folder);
        _file = new StreamWriter(path, append: false) { AutoFlush = true };
        _file.WriteLine(ResultRow.TsvHeader);
    }

    /// <summary>Whether a row recorded so far failed (a check beyond its tolerance, a case that threw).</summary>
    public bool Failed { get; private set; }

    /// <summary>Writes and prints a row; <paramref name="failed"/> marks the run as failed.</summary>
    public void Row(ResultRow row, bool failed = false)
    {
        Failed |= failed;
        _file?.WriteLine(row.ToTsv());
        Console.WriteLine(row.Format());
    }

    /// <summary>Writes <c># key: value</c> to the file and prints <c>key: value</c>.</summary>
    public void Fact(string key, string value)
    {
        _file?.WriteLine($"# {key}: {value}");
        Console.WriteLine($"{key}: {value}");
    }

    /// <summary>Prints a line that is not a row (progress, a heading).</summary>
    public static void Say(string line) => Console.WriteLine(line);

    public void Dispose() => _file?.Dispose();
}
