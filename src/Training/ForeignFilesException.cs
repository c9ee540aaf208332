namespace Engine.Training;

/// <summary>
/// A new run was asked for in a folder that holds no run but holds other things (a user's own
/// files, which a run's files could replace): <see cref="RunFolder.PrepareNew"/> without overwrite.
/// </summary>
public sealed class ForeignFilesException : IOException
{
    internal ForeignFilesException(string folder, IReadOnlyList<string> entries)
        : base($"'{folder}' holds {Listed(entries)}, and no run: a new run goes into an empty or new folder (or PrepareNew with overwrite writes beside them).")
    {
        Folder = folder;
        Entries = entries;
    }

    /// <summary>The folder, as given.</summary>
    public string Folder { get; }

    /// <summary>The names of what it holds.</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>The first few names, quoted: <c>'epochs.csv', 'notes.txt' and 3 more</c>.</summary>
    public static string Listed(IReadOnlyList<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return string.Join(", ", entries.Take(3).Select(e => $"'{e}'")) + (entries.Count > 3 ? $" and {entries.Count - 3} more" : "");
    }
}
