namespace Engine.Checkpoints;

/// <summary>A state-dict entry whose shape in the file differs from the model's (a classifier head with another class count).</summary>
/// <param name="Name">The key, e.g. <c>fc.weight</c>.</param>
/// <param name="FileShape">Its shape in the file.</param>
/// <param name="ModelShape">Its shape in the model.</param>
public sealed record MismatchedKey(string Name, long[] FileShape, long[] ModelShape)
{
    /// <summary><c>fc.weight: [1000, 512] in the file, [10, 512] in the model</c>.</summary>
    public override string ToString() => $"{Name}: [{string.Join(", ", FileShape)}] in the file, [{string.Join(", ", ModelShape)}] in the model";
}
