namespace Engine.Checkpoints;

/// <summary>
/// What a state-dict load did, as PyTorch's <c>load_state_dict</c> returns it
/// (<c>missing_keys</c>, <c>unexpected_keys</c>) with Hugging Face's mismatched sizes beside them:
/// the model's keys the file lacked (left as they were), the file's keys the model lacks (not
/// read), the keys skipped for their shape (with <c>ignoreMismatchedSizes</c>, left as they were),
/// and the keys widened to float32 from F16 or BF16.
/// </summary>
public sealed record LoadReport
{
    /// <summary>The model's keys the file does not hold (only a non-strict load gets this far with any).</summary>
    public IReadOnlyList<string> MissingKeys { get; init; } = [];

    /// <summary>The file's keys the model does not have (reserved <c>__</c> names aside).</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; init; } = [];

    /// <summary>The keys whose shapes differ, skipped (only with <c>ignoreMismatchedSizes</c>).</summary>
    public IReadOnlyList<MismatchedKey> MismatchedKeys { get; init; } = [];

    /// <summary>The keys read from F16 or BF16 and widened to float32 (exactly), with their file type.</summary>
    public IReadOnlyList<(string Name, SafeTensorType Type)> WidenedKeys { get; init; } = [];

    /// <summary>How many tensors and counters were loaded.</summary>
    public int LoadedCount { get; init; }

    /// <summary>True when every key of the model was loaded and the file held nothing else.</summary>
    public bool IsComplete => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0 && MismatchedKeys.Count == 0;

    /// <summary>One line: <c>loaded 120; missing fc.weight, fc.bias; unexpected none; mismatched fc.weight: [1000, 512] in the file, [10, 512] in the model; widened 122 from F16</c>.</summary>
    public override string ToString()
    {
        static string Few(IEnumerable<string> names)
        {
            var list = names.ToList();
            return list.Count == 0 ? "none" : string.Join(", ", list.Take(10)) + (list.Count > 10 ? $" and {list.Count - 10} more" : "");
        }
        string widened = WidenedKeys.Count == 0 ? "" :
            "; widened " + string.Join(", ", WidenedKeys.GroupBy(k => k.Type).Select(g => $"{g.Count()} from {g.Key}"));
        return $"loaded {LoadedCount}; missing {Few(MissingKeys)}; unexpected {Few(UnexpectedKeys)}; mismatched {Few(MismatchedKeys.Select(m => m.ToString()))}{widened}";
    }
}
