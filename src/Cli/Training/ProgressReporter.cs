using System.Diagnostics;
using Engine.Training;
using Spectre.Console;

namespace Engine.Cli.Training;

/// <summary>Reports training progress, as the trainer's first callback: a live bar on a terminal, plain lines otherwise (logs, CI, tests).</summary>
internal abstract class ProgressReporter : TrainingCallback
{
    /// <inheritdoc/>
    public override void OnEpochBegin(EpochStart epoch) => BeginEpoch($"epoch {epoch.Epoch}/{epoch.Epochs}", epoch.Steps, epoch.StepsDone, epoch.LossSum);

    /// <inheritdoc/>
    public override void OnStepEnd(StepEnd step) => Step(step.Loss, step.Images);

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochEnd epoch) => EndEpoch(epoch.Evaluation);

    /// <summary>
    /// Starts (or, resumed, continues) an epoch of <paramref name="steps"/> steps of which
    /// <paramref name="done"/> were done before, with losses summing to <paramref name="lossSum"/>.
    /// </summary>
    protected abstract void BeginEpoch(string label, int steps, int done, double lossSum);

    /// <summary>One step done with this loss and this many images.</summary>
    protected abstract void Step(float loss, int images);

    /// <summary>Ends the epoch with the evaluation.</summary>
    protected abstract void EndEpoch(Evaluation evaluation);

    /// <summary>Runs <paramref name="body"/> with a live Spectre.Console bar when the console is interactive, else with plain lines on <paramref name="output"/>.</summary>
    public static void Run(bool plain, TextWriter output, Action<ProgressReporter> body)
    {
        bool live = !plain && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!live)
        {
            body(new PlainProgress(output));
            return;
        }
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 }, new PercentageColumn(), new RemainingTimeColumn())
            .Start(context => body(new LiveProgress(context)));
    }

    /// <summary>
    /// Running mean of the loss within an epoch (continued from a checkpoint's sum, so a resumed
    /// epoch reports the mean an uninterrupted one would) and images per second in this process.
    /// </summary>
    private protected sealed class EpochMeter(int done = 0, double lossSum = 0)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double _lossSum = lossSum;
        public int Steps { get; private set; } = done;
        public int StepsHere { get; private set; }
        public long Images { get; private set; }
        public double MeanLoss => Steps == 0 ? double.NaN : _lossSum / Steps;
        public double ImagesPerSecond => Images / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        public TimeSpan Elapsed => _clock.Elapsed;

        public void Add(float loss, int images)
        {
            _lossSum += loss;
            Steps++;
            StepsHere++;
            Images += images;
        }
    }

    private sealed class LiveProgress(ProgressContext context) : ProgressReporter
    {
        private ProgressTask? _task;
        private EpochMeter _meter = new();
        private string _label = "";

        protected override void BeginEpoch(string label, int steps, int done, double lossSum)
        {
            _label = label;
            _meter = new EpochMeter(done, lossSum);
            _task = context.AddTask(Markup.Escape(label), maxValue: steps);
            _task.Increment(done);
        }

        protected override void Step(float loss, int images)
        {
            _meter.Add(loss, images);
            _task!.Description = Markup.Escape($"{_label}  loss {_meter.MeanLoss:F4}  {_meter.ImagesPerSecond:F0} img/s");
            _task.Increment(1);
        }

        protected override void EndEpoch(Evaluation evaluation)
        {
            _task!.Description = Markup.Escape($"{_label}  loss {_meter.MeanLoss:F4}  {_meter.ImagesPerSecond:F0} img/s  test {evaluation.Headline}");
            _task.StopTask();
        }
    }

    private sealed class PlainProgress(TextWriter output) : ProgressReporter
    {
        private EpochMeter _meter = new();
        private string _label = "";
        private int _steps, _nextReport;

        protected override void BeginEpoch(string label, int steps, int done, double lossSum)
        {
            _label = label;
            _steps = steps;
            _meter = new EpochMeter(done, lossSum);
            int every = Math.Max(1, steps / 10);
            _nextReport = (done / every + 1) * every;
        }

        protected override void Step(float loss, int images)
        {
            _meter.Add(loss, images);
            if (_meter.Steps >= _nextReport && _meter.Steps < _steps)
            {
                _nextReport += Math.Max(1, _steps / 10);
                var left = TimeSpan.FromSeconds(_meter.Elapsed.TotalSeconds / _meter.StepsHere * (_steps - _meter.Steps));
                output.WriteLine($"{_label}  {_meter.Steps}/{_steps}  loss {_meter.MeanLoss:F4}  {_meter.ImagesPerSecond:F0} img/s  {left:m\\:ss} left");
            }
        }

        protected override void EndEpoch(Evaluation evaluation) =>
            output.WriteLine($"{_label}  loss {_meter.MeanLoss:F4}  {_meter.ImagesPerSecond:F0} img/s  {_meter.Elapsed:m\\:ss}  test {evaluation.Text}");
    }
}
