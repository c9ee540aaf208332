namespace Engine.Training;

/// <summary>A checkpoint committed into a run folder.</summary>
/// <param name="Folder">The run folder.</param>
/// <param name="State">What the checkpoint records.</param>
/// <param name="IsBest">Whether it was also committed as the best checkpoint.</param>
public sealed record CheckpointCommitted(RunFolder Folder, CheckpointInfo State, bool IsBest);
