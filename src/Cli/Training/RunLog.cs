using System.Globalization;
using System.Text;
using Engine.Cli.Imaging;
using Engine.IO;

namespace Engine.Cli.Training;

/// <summary>
/// A run's log beside its checkpoints: <c>epochs.csv</c> (per epoch: steps, mean training loss,
/// test metric, learning rate, seconds), <c>steps.csv</c> (every <c>--log-every</c>-th step's loss)
/// and <c>curves.png</c>. They are written from the run information of each commit, which holds the
/// records, so they always match the last checkpoint: a run resumed after a crash rewrites them from
/// there, never with steps the checkpoint does not have. Each file is replaced atomically. The
/// CSVs follow every commit; the plot, which shows completed epochs, follows the epochs' ends.
/// </summary>
internal static class RunLog
{
    public const string EpochsFile = "epochs.csv", StepsFile = "steps.csv", CurvesFile = "curves.png";

    /// <summary>The files this writes, for the run folder's checks.</summary>
    public static IReadOnlyList<string> Files { get; } = [EpochsFile, StepsFile, CurvesFile];

    /// <summary>Writes the files into <paramref name="folder"/> from a committed run's information (the plot at an epoch's end).</summary>
    public static void Write(string folder, CheckpointInfo run)
    {
        AtomicFile.WriteAllBytes(Path.Combine(folder, EpochsFile), Encoding.UTF8.GetBytes(EpochsCsv(run)));
        AtomicFile.WriteAllBytes(Path.Combine(folder, StepsFile), Encoding.UTF8.GetBytes(StepsCsv(run)));
        if (run.Step == 0)
            AtomicFile.WriteAllBytes(Path.Combine(folder, CurvesFile), CurvePlot.Render(run));
    }

    /// <summary><c>epoch,step,train_loss,test_METRIC,lr,seconds</c>, one row per completed epoch.</summary>
    public static string EpochsCsv(CheckpointInfo run)
    {
        var text = new StringBuilder($"epoch,step,train_loss,test_{run.Metric},lr,seconds\n");
        foreach (var e in run.EpochLog)
            text.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{e.Step},{Number(e.TrainLoss)},{Number(e.Metric)},{Number(e.LearningRate)},{e.Seconds:F2}\n");
        return text.ToString();
    }

    /// <summary><c>step,epoch,loss,lr</c>, one row per logged step.</summary>
    public static string StepsCsv(CheckpointInfo run)
    {
        var text = new StringBuilder("step,epoch,loss,lr\n");
        foreach (var s in run.StepLog)
            text.Append(CultureInfo.InvariantCulture, $"{s.Step},{s.Epoch},{Number(s.Loss)},{Number(s.LearningRate)}\n");
        return text.ToString();
    }

    // The shortest text that reads back to the same double.
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
