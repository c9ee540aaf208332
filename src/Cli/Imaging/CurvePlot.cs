using Engine.IO;
using Engine.Training;
using ScottPlot;

namespace Engine.Cli.Imaging;

/// <summary>
/// A run's curves as a PNG (ScottPlot): against epochs, the training loss of the logged steps and
/// each epoch's mean on the left axis, and the test metric after each epoch on the right.
/// </summary>
internal static class CurvePlot
{
    /// <summary>Width and height of the PNG, in pixels.</summary>
    public const int Width = 800, Height = 450;

    /// <summary>The PNG's name in the run folder.</summary>
    public const string File = "curves.png";

    /// <summary>Redraws <see cref="File"/> after every epoch's commit (the plot shows completed epochs), atomically, from the committed state.</summary>
    internal sealed class Writer(string kind, string dataset, string model) : TrainingCallback
    {
        /// <inheritdoc/>
        public override void OnCheckpoint(CheckpointCommitted checkpoint)
        {
            if (checkpoint.State.Step == 0)
                AtomicFile.WriteAllBytes(Path.Combine(checkpoint.Folder.Path, File), Render(checkpoint.State, $"{kind}: {model} on {dataset}"));
        }
    }

    /// <summary>Whether the system has a font to draw the text with (SkiaSharp finds none on a machine without fonts: the plot then has lines only).</summary>
    public static bool CanDrawText => SkiaSharp.SKTypeface.Default.GlyphCount > 0;

    /// <summary>The PNG's bytes for a run's log.</summary>
    public static byte[] Render(CheckpointInfo run, string title)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("training loss");
        if (run.StepLog.Count > 0)
        {
            // Steps on the epoch axis: step s lies at s / steps-per-epoch, so it meets its epoch's mean.
            var steps = plot.Add.Scatter(run.StepLog.Select(s => (double)s.Step / run.StepsPerEpoch).ToArray(), run.StepLog.Select(s => s.Loss).ToArray());
            steps.LegendText = "loss (logged steps)";
            steps.MarkerSize = 0;
            steps.LineWidth = 1;
            steps.Color = Colors.SteelBlue.WithAlpha(0.45);
        }
        if (run.EpochLog.Count > 0)
        {
            double[] epochs = run.EpochLog.Select(e => (double)e.Epoch).ToArray();
            var mean = plot.Add.Scatter(epochs, run.EpochLog.Select(e => e.TrainLoss).ToArray());
            mean.LegendText = "loss (epoch mean)";
            mean.Color = Colors.SteelBlue;
            mean.LineWidth = 2;
            mean.MarkerSize = 7;
            var metric = plot.Add.Scatter(epochs, run.EpochLog.Select(e => run.Metric == "accuracy" ? e.Metric * 100 : e.Metric).ToArray());
            metric.LegendText = $"test {MetricLabel(run.Metric)}";
            metric.Color = Colors.OrangeRed;
            metric.LineWidth = 2;
            metric.MarkerSize = 7;
            metric.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = $"test {MetricLabel(run.Metric)}";
        }
        plot.ShowLegend(Alignment.UpperCenter);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static string MetricLabel(string metric) => metric switch
    {
        "accuracy" => "accuracy (%)",
        "neg_elbo" => "negative ELBO (nats/image)",
        "recon_error" => "reconstruction error (per image)",
        _ => metric,
    };
}
