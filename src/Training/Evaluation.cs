namespace Engine.Training;

/// <summary>An evaluation's headline number and a one-line description of all it measured.</summary>
/// <param name="Value">The headline metric (accuracy, Dice, negative ELBO).</param>
/// <param name="Text">E.g. <c>accuracy 91.30% (9130/10000)</c>.</param>
/// <param name="Headline">The metric alone, for a progress bar: <c>accuracy 91.30%</c>.</param>
public sealed record Evaluation(double Value, string Text, string Headline)
{
    /// <summary>
    /// For data at several sizes (<see cref="Data.MultiSizeDataset"/>): each size's evaluation, in the
    /// dataset's order, named <c>28x28</c>; empty otherwise.
    /// </summary>
    public IReadOnlyList<(string Size, Evaluation Evaluation)> BySize { get; init; } = [];
}
