namespace Engine.Training;

/// <summary>A step taken, its loss read back.</summary>
/// <param name="Epoch">Its epoch, counted from 1.</param>
/// <param name="Step">Its step in the epoch, counted from 1.</param>
/// <param name="GlobalStep">Optimiser steps taken, this one included.</param>
/// <param name="Loss">Its training loss (averaged over the ranks in a data-parallel run).</param>
/// <param name="LearningRate">The rate it was taken with.</param>
/// <param name="Images">Images it trained on (every rank's).</param>
public sealed record StepEnd(int Epoch, int Step, long GlobalStep, float Loss, float LearningRate, int Images);
