namespace Engine.Training;

/// <summary>What resuming a run may do with one of its settings (<see cref="ResumeRules"/>).</summary>
public enum ResumeRuleKind
{
    /// <summary>It defines the run: a resume that asks for another value is refused, since the run would silently become another one.</summary>
    Fixed,

    /// <summary>It may change; each change is named and kept in the checkpoint's history.</summary>
    Changeable,

    /// <summary>It may change without a record (how often to log or commit).</summary>
    Free,
}
