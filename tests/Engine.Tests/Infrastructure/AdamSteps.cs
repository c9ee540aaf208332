using Engine.Graph;
using Engine.Modules;
using Engine.Optim;

namespace Engine.Tests.Infrastructure;

/// <summary>The overfitting loop of the model tests: Adam steps on a compiled training graph whose inputs are fed.</summary>
public static class AdamSteps
{
    /// <summary>Takes <paramref name="steps"/> Adam steps of <paramref name="model"/>'s parameters and returns each step's loss.</summary>
    public static List<float> Losses(CompiledGraph plan, Node loss, Module model, int steps, float rate)
    {
        using var adam = new Adam(model.NamedParameters().Select(p => p.Parameter), rate);
        var losses = new List<float>();
        for (int i = 0; i < steps; i++)
        {
            adam.ZeroGrad();
            plan.Forward();
            plan.Backward();
            adam.Step();
            losses.Add(plan.Value(loss).ToArray()[0]);
        }
        return losses;
    }
}
