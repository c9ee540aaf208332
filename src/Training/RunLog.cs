using System.Globalization;
using System.Text;
using Engine.IO;

namespace Engine.Training;

/// <summary>
/// A run's log beside its checkpoints: <c>epochs.csv</c> (per epoch: steps, mean training loss,
/// test metric, learning rate, seconds) and <c>steps.csv</c> (every
/// <see cref="TrainingOptions.LogEvery"/>-th step's loss). <c>epochs.csv</c> is rewritten atomically
/// after each commit from the epoch log the checkpoint holds. <c>steps.csv</c> grows with the run,
/// so it is appended to instead, after each commit, with the records logged since the last one,
/// which the checkpoint also holds (its header carries only those, and so never grows with the
/// run): a crash between a commit and its append loses nothing, and a resume puts the file back
/// to exactly the records through its checkpoint (<see cref="RecoverSteps"/>), so the log never
/// runs ahead of the checkpoint nor loses a line.
/// </summary>
public static class RunLog
{
    /// <summary>The file names of the logs.</summary>
    public const string EpochsFile = "epochs.csv", StepsFile = "steps.csv";

    /// <summary>The files this writes, for the run folder's checks.</summary>
    public static IReadOnlyList<string> Files { get; } = [EpochsFile, StepsFile];

    private const string StepsHeader = "step,epoch,loss,lr";

    /// <summary>Writes the files into <paramref name="folder"/> from a committed run's information, whole (atomically).</summary>
    public static void Write(string folder, CheckpointInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        WriteEpochs(folder, run);
        AtomicFile.WriteAllBytes(Path.Combine(folder, StepsFile), Encoding.UTF8.GetBytes(StepsCsv(run)));
    }

    /// <summary>Rewrites <c>epochs.csv</c> (atomically) from the run's epoch log.</summary>
    public static void WriteEpochs(string folder, CheckpointInfo run) =>
        AtomicFile.WriteAllBytes(Path.Combine(folder, EpochsFile), Encoding.UTF8.GetBytes(EpochsCsv(run)));

    /// <summary>
    /// Adds <paramref name="records"/> to <c>steps.csv</c>: with <paramref name="fresh"/> the file is
    /// written anew (atomically: a new run's first commit replaces what an overwritten run left);
    /// otherwise they are appended and flushed to disk. Never through a link, nor to a file with other names.
    /// </summary>
    public static void AppendSteps(string folder, IEnumerable<StepRecord> records, bool fresh)
    {
        ArgumentNullException.ThrowIfNull(records);
        string path = Path.Combine(folder, StepsFile);
        if (fresh)
        {
            var text = new StringBuilder(StepsHeader + "\n");
            foreach (var s in records)
                text.Append(Row(s));
            AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(text.ToString()));
            return;
        }
        var rows = string.Concat(records.Select(Row));
        using var file = OwnFile.OpenAppend(path);
        if (file.Length == 0)
            rows = StepsHeader + "\n" + rows; // removed by hand since the last commit: start it again
        file.Write(Encoding.UTF8.GetBytes(rows));
        file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// For a resume from <paramref name="checkpoint"/>: the whole step log through its step (the
    /// records of <c>steps.csv</c> through <see cref="CheckpointInfo.StepLogWrittenThrough"/>, then
    /// those the checkpoint holds), with <c>steps.csv</c> rewritten (atomically) to exactly them:
    /// records past the checkpoint, which a crash after an append can leave, and a line cut short
    /// are dropped. A missing file gives what the checkpoint holds.
    /// </summary>
    /// <exception cref="InvalidDataException">A line before the checkpoint's step that is not a record: the file is not the run's, or was edited.</exception>
    public static IReadOnlyList<StepRecord> RecoverSteps(string folder, CheckpointInfo checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        string path = Path.Combine(folder, StepsFile);
        var records = new List<StepRecord>();
        if (checkpoint.StepLogWrittenThrough > 0 && File.Exists(path))
        {
            string text;
            using (var reader = new StreamReader(RegularFile.OpenRead(path), Encoding.UTF8))
                text = reader.ReadToEnd();
            // Only lines ended by a newline are whole: the text after the last one, if any, was cut short.
            string[] lines = text.Split('\n');
            if (lines[0] != StepsHeader)
                throw new InvalidDataException($"'{path}' does not start with '{StepsHeader}': it is not this run's step log. Move it aside to resume (the checkpoints are intact).");
            for (int i = 1; i < lines.Length - 1; i++)
            {
                var record = Parse(lines[i]);
                if (record is null || records.Count > 0 && record.Step <= records[^1].Step)
                    throw new InvalidDataException($"'{path}' line {i + 1} is not the next step record ({StepsHeader}): '{(lines[i].Length > 60 ? lines[i][..60] + "..." : lines[i])}'. Move the file aside to resume (the checkpoints are intact).");
                if (record.Step > checkpoint.StepLogWrittenThrough)
                    break;
                records.Add(record);
            }
        }
        records.AddRange(checkpoint.StepLog);
        AppendSteps(folder, records, fresh: true);
        return records;
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
        var text = new StringBuilder(StepsHeader + "\n");
        foreach (var s in run.StepLog)
            text.Append(Row(s));
        return text.ToString();
    }

    private static string Row(StepRecord s) => string.Create(CultureInfo.InvariantCulture, $"{s.Step},{s.Epoch},{Number(s.Loss)},{Number(s.LearningRate)}\n");

    /// <summary>A row read back (every number in it was written to read back to its bits), or null when it is not one.</summary>
    private static StepRecord? Parse(string row)
    {
        string[] parts = row.Split(',');
        const NumberStyles Float = NumberStyles.Float;
        var culture = CultureInfo.InvariantCulture;
        return parts.Length == 4 && long.TryParse(parts[0], NumberStyles.None, culture, out long step) && int.TryParse(parts[1], NumberStyles.None, culture, out int epoch)
            && float.TryParse(parts[2], Float, culture, out float loss) && float.TryParse(parts[3], Float, culture, out float rate) && step > 0 && epoch > 0
            ? new StepRecord(step, epoch, loss, rate)
            : null;
    }

    // The shortest text that reads back to the same double.
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
