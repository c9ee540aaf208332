namespace Engine.Training;

/// <summary>One row of <see cref="ResumeRules"/>: a setting of a run, by the library's name, and what a resume may do with it.</summary>
/// <param name="Name">A member of <see cref="TrainingOptions"/> (<c>nameof(TrainingOptions.Seed)</c>), or <see cref="ResumeRules.Data"/>, <see cref="ResumeRules.Model"/> or <see cref="ResumeRules.Task"/> for what the options do not hold.</param>
/// <param name="Kind">Whether a resume may change it, and whether the change is recorded.</param>
/// <param name="Value">The option's value as compared and shown; null for a rule checked on something other than the options (the data's fingerprint, the model's options, the task).</param>
/// <param name="SetsSteps">It sets the steps of an epoch, so it is checked before the steps are compared (a change then names itself, not the steps).</param>
public sealed record ResumeRule(string Name, ResumeRuleKind Kind, Func<TrainingOptions, object?>? Value = null, bool SetsSteps = false);
