using Engine.Training;

namespace Engine.Tests.Docs.Guide;

#region guide
/// <summary>
/// Keeps every epoch's mean training loss, test metric and learning rate, writes one line for
/// each, and stops the run once the metric reaches <paramref name="target"/> (if given).
/// </summary>
public sealed class EpochHistory(TextWriter output, double? target = null) : TrainingCallback
{
    private readonly List<(int Epoch, double TrainLoss, double Metric, float LearningRate)> _epochs = [];

    public IReadOnlyList<(int Epoch, double TrainLoss, double Metric, float LearningRate)> Epochs => _epochs;

    // After the epoch's evaluation, before its checkpoint (with a run folder) is committed.
    public override void OnEpochEnd(EpochEnd epoch)
    {
        _epochs.Add((epoch.Record.Epoch, epoch.Record.TrainLoss, epoch.Evaluation.Value, epoch.Record.LearningRate));
        output.WriteLine($"epoch {epoch.Record.Epoch}: loss {epoch.Record.TrainLoss:F4}, lr {epoch.Record.LearningRate:G3}, {epoch.Evaluation.Text}");
        bool higherIsBetter = epoch.State.HigherIsBetter;         // the task's direction, as the run recorded it
        if (target is double goal && (higherIsBetter ? epoch.Evaluation.Value >= goal : epoch.Evaluation.Value <= goal))
            epoch.RequestStop();                                   // the result says StoppedEarly
    }
}
#endregion
