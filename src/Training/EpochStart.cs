namespace Engine.Training;

/// <summary>An epoch about to run.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Steps">Steps in the epoch.</param>
/// <param name="StepsDone">Steps of it done before (a run resumed mid-epoch), else 0.</param>
/// <param name="LossSum">The sum of those steps' losses (a running mean continues from it).</param>
public sealed record EpochStart(int Epoch, int Epochs, int Steps, int StepsDone, double LossSum);
