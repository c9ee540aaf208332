namespace Engine.Generators;

/// <summary>
/// One output of the generator: a source file, or an error to report. Compared by value, so the
/// incremental pipeline skips writing it again when the kernels it comes from are unchanged.
/// </summary>
internal sealed class GeneratedSource : IEquatable<GeneratedSource>
{
    private GeneratedSource(string hintName, string text, string? error)
    {
        HintName = hintName;
        Text = text;
        Error = error;
    }

    /// <summary>The file's name among the generated sources.</summary>
    public string HintName { get; }

    /// <summary>The C# source.</summary>
    public string Text { get; }

    /// <summary>An error to report instead of a file; null for a file.</summary>
    public string? Error { get; }

    /// <summary>A file.</summary>
    public static GeneratedSource File(string hintName, string text) => new(hintName, text, null);

    /// <summary>An error, reported as <see cref="LoaderGenerator.Refused"/>.</summary>
    public static GeneratedSource Failure(string message) => new("", "", message);

    /// <inheritdoc/>
    public bool Equals(GeneratedSource? other) =>
        other is not null && HintName == other.HintName && Text == other.Text && Error == other.Error;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as GeneratedSource);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(HintName) ^ StringComparer.Ordinal.GetHashCode(Text);
}
