using System.Text;
using Engine.Graph;

namespace Engine.Optim;

/// <summary>
/// One of an optimiser's parameter groups, as PyTorch's <c>param_groups</c>: its parameters and
/// what it sets apart from the optimiser's defaults. A group's <see cref="LearningRate"/> is its rate
/// when the schedule stands at the optimiser's base rate: schedules scale every group's rate by the
/// same factor (<c>rate x group / base</c>), which is what PyTorch's multiplicative schedules
/// (StepLR, LambdaLR, cosine to 0) do to each group.
/// </summary>
/// <param name="Parameters">The group's parameters (frozen ones are skipped).</param>
/// <param name="LearningRate">Its own rate, or null for the optimiser's.</param>
/// <param name="WeightDecay">Its own weight decay, or null for the optimiser's.</param>
public sealed record ParameterGroup(IReadOnlyList<Parameter> Parameters, float? LearningRate = null, float? WeightDecay = null)
{
    /// <summary>Its members as values (the parameters by their count), not the list's type name.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Parameters = {Parameters.Count}, LearningRate = {(LearningRate is float rate ? rate.ToString(System.Globalization.CultureInfo.InvariantCulture) : "the optimiser's")}, ");
        builder.Append($"WeightDecay = {(WeightDecay is float decay ? decay.ToString(System.Globalization.CultureInfo.InvariantCulture) : "the optimiser's")}");
        return true;
    }

    /// <summary>
    /// The usual split: weights of rank 2 or more (convolutions, linear layers) keep the optimiser's
    /// weight decay; rank-1 parameters (biases, batch-norm weights and biases) get none, as in the
    /// PyTorch recipe <c>[{"params": decay}, {"params": no_decay, "weight_decay": 0}]</c>.
    /// </summary>
    public static IReadOnlyList<ParameterGroup> NoDecayOnBiasesAndNorms(IEnumerable<Parameter> parameters)
    {
        var all = parameters.ToList();
        return [new ParameterGroup(all.Where(p => p.Shape.Rank > 1).ToList()), new ParameterGroup(all.Where(p => p.Shape.Rank <= 1).ToList(), WeightDecay: 0f)];
    }
}
