using System.Globalization;
using System.Text;
using Engine.IO;

namespace Engine.Training;

/// <summary>
/// A run's log beside its checkpoints: <c>epochs.csv</c> (per epoch: steps, mean training loss,
/// test metric, learning rate, seconds) and <c>steps.csv</c> (every
/// <see cref="TrainingOptions.LogEvery"/>-th step's loss). They are written from the run information
/// of each commit, which holds the records, so they always match the last checkpoint: a run resumed
/// after a crash rewrites them from there, never with steps the checkpoint does not have. Each file
/// is replaced atomically, after the checkpoint's commit.
/// </summary>
public static class RunLog
{
    /// <summary>The file names of the logs.</summary>
    public const string EpochsFile = "epochs.csv", StepsFile = "steps.csv";

    /// <summary>The files this writes, for the run folder's checks.</summary>
    public static IReadOnlyList<string> Files { get; } = [EpochsFile, StepsFile];

    /// <summary>Writes the files into <paramref name="folder"/> from a committed run's information.</summary>
    public static void Write(string folder, CheckpointInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        AtomicFile.WriteAllBytes(Path.Combine(folder, EpochsFile), Encoding.UTF8.GetBytes(EpochsCsv(run)));
        AtomicFile.WriteAllBytes(Path.Combine(folder, StepsFile), Encoding.UTF8.GetBytes(StepsCsv(run)));
    }

    /// <summary><c>epoch,step,train_loss,test_METRIC,lr,seconds</c>, one row per completed epoch.</summary>
    public static string EpochsCsv(CheckpointInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var text = new StringBuilder($"epoch,step,train_loss,test_{run.Metric},lr,seconds\n");
        foreach (var e in run.EpochLog)
            text.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{e.Step},{Number(e.TrainLoss)},{Number(e.Metric)},{Number(e.LearningRate)},{e.Seconds:F2}\n");
        return text.ToString();
    }

    /// <summary><c>step,epoch,loss,lr</c>, one row per logged step.</summary>
    public static string StepsCsv(CheckpointInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var text = new StringBuilder("step,epoch,loss,lr\n");
        foreach (var s in run.StepLog)
            text.Append(CultureInfo.InvariantCulture, $"{s.Step},{s.Epoch},{Number(s.Loss)},{Number(s.LearningRate)}\n");
        return text.ToString();
    }

    // The shortest text that reads back to the same double.
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
