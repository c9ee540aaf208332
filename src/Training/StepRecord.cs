namespace Engine.Training;

/// <summary>
/// One line of a run's step log (<c>steps.csv</c>): the loss of every <see cref="TrainingOptions.LogEvery"/>-th step, as
/// PyTorch Lightning's loggers record it (that step's loss, not a mean), kept in the checkpoint.
/// </summary>
/// <param name="Step">Optimiser steps taken, this one included.</param>
/// <param name="Epoch">Its epoch, counted from 1.</param>
/// <param name="Loss">Its training loss (averaged over the ranks in a data-parallel run).</param>
/// <param name="LearningRate">The learning rate it was taken with.</param>
public sealed record StepRecord(long Step, int Epoch, float Loss, float LearningRate);
