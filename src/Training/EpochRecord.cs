namespace Engine.Training;

/// <summary>One line of a run's epoch log (<c>epochs.csv</c>), kept in the checkpoint so that a resumed run continues it.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="Step">Optimiser steps taken at its end.</param>
/// <param name="TrainLoss">The mean training loss over its steps.</param>
/// <param name="Metric">The test metric after it (the run's <see cref="CheckpointInfo.Metric"/>).</param>
/// <param name="LearningRate">The learning rate of its last step.</param>
/// <param name="Seconds">Wall time of its steps and evaluation in the process that ran them (a resumed epoch counts from the resume).</param>
public sealed record EpochRecord(int Epoch, long Step, double TrainLoss, double Metric, float LearningRate, double Seconds);
