using Engine.Data;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>The library's one list of what a resume may change, and its two readings: the check and the changes.</summary>
[DeviceIndependent("rules over option records: host values, no tensor")]
public sealed class ResumeRulesTests
{
    [Fact]
    public void FixedOptionsAreRefusedByNameAndChangeableOnesRecorded()
    {
        var before = new TrainingOptions { Epochs = 3, LearningRate = 2e-3f, Seed = 5 };
        var refused = Assert.Throws<ArgumentException>(() => ResumeRules.CheckFixed(before with { Seed = 6 }, before, setsSteps: false));
        Assert.Equal("The run was trained with Seed 5; Seed 6 would make it another run.", refused.Message);
        var augmented = Assert.Throws<ArgumentException>(() => ResumeRules.CheckFixed(before with { Augmentation = new Augmentation(true, 2) }, before, setsSteps: false));
        Assert.StartsWith("The run was trained with Augmentation none; Augmentation Augmentation { HorizontalFlip = True, Padding = 2 }", augmented.Message, StringComparison.Ordinal);
        // Accumulate sets the steps, so it is checked apart (before the steps are compared), and only there.
        ResumeRules.CheckFixed(before with { Accumulate = 2 }, before, setsSteps: false);
        Assert.Throws<ArgumentException>(() => ResumeRules.CheckFixed(before with { Accumulate = 2 }, before, setsSteps: true));

        var now = before with { Epochs = 5, LearningRate = 1e-3f, ClipGradNorm = 1.5f, SaveEvery = 7, LogEvery = 1 };
        ResumeRules.CheckFixed(now, before, setsSteps: false);
        Assert.Equal(["after epoch 3: Epochs 3 -> 5", "after epoch 3: LearningRate 0.002 -> 0.001", "after epoch 3: ClipGradNorm none -> 1.5"], ResumeRules.Changes(now, before, "after epoch 3"));
    }

    [Fact]
    public void EveryOptionOfTheRecordHasOneRule()
    {
        // A new option of TrainingOptions must say what a resume may do with it.
        var named = ResumeRules.All.Select(rule => rule.Name).ToList();
        Assert.Equal(named.Count, named.Distinct().Count());
        Assert.Equal(typeof(TrainingOptions).GetProperties().Select(p => p.Name).Order(), named.Except([ResumeRules.Data, ResumeRules.Model, ResumeRules.Task]).Order());
    }
}
