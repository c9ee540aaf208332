using System.Text.Json;
using Engine.Cli.Training;
using Engine.Data;
using Engine.Models;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// The library's training loop as a program embeds it: <see cref="Trainer.Fit"/> on real data
/// (scikit-learn's 8x8 digits) without a run folder, its callbacks, an early stop, a cancelled run
/// resumed from its folder to the same bits, the refusals on resume, and format-2 checkpoints read.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class TrainerTests(DeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-trainer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // The digits, 1,437 to train on and 360 held out, in a fixed order.
    private static (ImageDataset Train, ImageDataset Test) DigitSplit()
    {
        var (images, labels) = Digits.All;
        var all = new ImageDataset(images, labels.Length, 1, 8, 8, classes: 10, labels: labels);
        var order = Enumerable.Range(0, labels.Length).ToArray();
        new Random(0).Shuffle(order);
        return (all.Select(order[..1437]), all.Select(order[1437..]));
    }

    private static readonly TrainingOptions Options = new() { Epochs = 4, BatchSize = 32, LearningRate = 3e-3f, WeightDecay = 1e-4f, Seed = 5, LogEvery = 7 };

    [Fact]
    public void FitTrainsAModelInAFewLinesAndCallsItsCallbacksInOrder()
    {
        var (train, test) = DigitSplit();
        var model = Digits.SmallConvNet();
        using var task = new ClassificationTask(model, fixture.Device);
        var trainer = new Trainer(task, Options);
        var seen = new Recorder();
        trainer.Callbacks.Add(seen);
        try
        {
            var result = trainer.Fit(train, test, cancellationToken: TestContext.Current.CancellationToken);

            Assert.False(result.Interrupted);
            Assert.False(result.StoppedEarly);
            Assert.True(result.Evaluation!.Value >= 0.9, result.Evaluation.Text); // 1437 / 32 = 44 steps an epoch, 4 epochs
            int steps = 1437 / 32;
            Assert.Equal((4, 0, steps), (result.Checkpoint.Epoch, result.Checkpoint.Step, result.Checkpoint.StepsPerEpoch));
            // Every step once, in order, with the loss the log kept for every 7th.
            Assert.Equal(Enumerable.Range(1, 4 * steps).Select(s => (long)s), seen.Steps.Select(s => s.GlobalStep));
            Assert.Equal(result.Checkpoint.StepLog.Select(s => s.Loss), seen.Steps.Where(s => s.GlobalStep % 7 == 0).Select(s => s.Loss));
            // Each epoch's mean loss is the mean of its steps' losses; its metric is the evaluation the callbacks saw.
            for (int e = 0; e < 4; e++)
                Assert.Equal(seen.Steps.Skip(e * steps).Take(steps).Average(s => (double)s.Loss), result.Checkpoint.EpochLog[e].TrainLoss, 1e-9);
            Assert.Equal(seen.Evaluations, result.Checkpoint.EpochLog.Select(e => e.Metric));
            Assert.Equal(result.Evaluation.Value, seen.Evaluations[^1]);
            Assert.Equal(["begin", "epoch 1/4", "end 1", "epoch 2/4", "end 2", "epoch 3/4", "end 3", "epoch 4/4", "end 4", "finished"], seen.Events);
            // The trained model stays on the device for the program to use.
            Assert.Equal(result.Evaluation.Value, new ClassificationTask(model, fixture.Device).Evaluate(test, 50).Value);
        }
        finally
        {
            model.Release();
        }
    }

    [Fact]
    public void ACallbackStopsTheRunAfterAnEpochAndTheCheckpointSaysWhere()
    {
        var (train, test) = DigitSplit();
        var model = Digits.SmallConvNet();
        using var task = new ClassificationTask(model, fixture.Device);
        var trainer = new Trainer(task, Options with { Epochs = 6 });
        trainer.Callbacks.Add(new StopAfter(2));
        using var folder = new RunFolder(Path.Combine(_folder, "stopped"));
        try
        {
            var result = trainer.Fit(train, test, folder, TestContext.Current.CancellationToken);
            Assert.True(result.StoppedEarly);
            Assert.False(result.Interrupted);
            var committed = RunFolder.ReadInfo(folder.LastPath);
            Assert.Equal((2, 0, 2), (committed.Epoch, committed.Step, committed.EpochLog.Count));
            Assert.Equal(1 + 2, File.ReadAllLines(Path.Combine(folder.Path, RunLog.EpochsFile)).Length);
        }
        finally
        {
            model.Release();
        }
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.6, 0.6, 0.59 }, 0.0, true, 2)]    // higher is better: no improvement after the second
    [InlineData(new[] { 0.5, 0.6, 0.62, 0.64 }, 0.05, true, 2)]  // 0.62 and 0.64 do not beat 0.6 by more than 0.05
    [InlineData(new[] { 0.5, 0.6, 0.62, 0.66 }, 0.05, true, 0)]  // 0.66 does
    [InlineData(new[] { 3.0, 2.0, 2.5, 1.9 }, 0.0, false, 0)]    // lower is better: 1.9 improves
    [InlineData(new[] { 3.0, 2.0, 2.5, 2.1 }, 0.0, false, 2)]
    public void EarlyStoppingCountsEpochsWithoutImprovementFromTheLog(double[] metrics, double minDelta, bool higherIsBetter, int expected)
    {
        var state = new CheckpointInfo
        {
            Task = "classification", Options = Options, Metric = "m", HigherIsBetter = higherIsBetter, StepsPerEpoch = 1,
            EpochLog = metrics.Select((m, i) => new EpochRecord(i + 1, i + 1, 1.0, m, 1e-3f, 1)).ToArray(),
        };
        var stopping = new EarlyStopping(patience: 2, minDelta);
        Assert.Equal(expected, stopping.EpochsWithoutImprovement(state));
        var end = new EpochEnd(state.EpochLog[^1], new Evaluation(metrics[^1], "", ""), false, state);
        stopping.OnEpochEnd(end);
        Assert.Equal(expected >= 2, end.StopRequested);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(1, double.NaN));
    }

    [Fact]
    public void ACancelledRunResumedFromItsFolderEndsWithTheBitsOfAnUninterruptedOne()
    {
        var (train, test) = DigitSplit();
        var options = Options with { Epochs = 2, SaveEvery = 20 };
        long stoppedAt = 0;
        // Each part as a new process would do it: a new model and task, the folder prepared (for a new run or to resume).
        void Part(string name, bool resume, long? cancelAt)
        {
            var model = Digits.SmallConvNet();
            using var task = new ClassificationTask(model, fixture.Device);
            using var folder = new RunFolder(Path.Combine(_folder, name));
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            try
            {
                if (resume)
                    Assert.Equal(stoppedAt, folder.PrepareResume().GlobalStep);
                var trainer = new Trainer(task, options);
                if (cancelAt is long step)
                    trainer.Callbacks.Add(new CancelAt(step, cancel));
                var result = trainer.Fit(train, test, folder, cancel.Token);
                Assert.Equal(cancelAt is not null, result.Interrupted);
                if (result.Interrupted)
                {
                    // Steps are read back in groups: the run stops after the group that held step 61, in epoch 2, after the commit at step 60.
                    stoppedAt = result.Checkpoint.GlobalStep;
                    Assert.InRange(stoppedAt, 61, 64);
                    Assert.Equal(stoppedAt, RunFolder.ReadInfo(folder.LastPath).GlobalStep);
                }
                else
                {
                    Assert.Equal((2, 0), (result.Checkpoint.Epoch, result.Checkpoint.Step));
                }
            }
            finally
            {
                model.Release();
            }
        }
        Part("whole", resume: false, cancelAt: null);
        Part("split", resume: false, cancelAt: 61);
        Part("split", resume: true, cancelAt: null);
        RunFiles.AssertSameTensors(Path.Combine(_folder, "whole", RunFolder.LastFile), Path.Combine(_folder, "split", RunFolder.LastFile));
        RunFiles.AssertSameTensors(Path.Combine(_folder, "whole", RunFolder.BestFile), Path.Combine(_folder, "split", RunFolder.BestFile));
        RunFiles.AssertSameLogs(Path.Combine(_folder, "whole"), Path.Combine(_folder, "split"));
    }

    [Fact]
    public void ResumingWithOptionsThatMakeAnotherRunIsRefusedByName()
    {
        var (train, test) = DigitSplit();
        var model = Digits.SmallConvNet();
        using var task = new ClassificationTask(model, fixture.Device);
        try
        {
            using (var folder = new RunFolder(Path.Combine(_folder, "run")))
                new Trainer(task, Options with { Epochs = 1 }).Fit(train, test, folder, TestContext.Current.CancellationToken);
            using (var again = new RunFolder(Path.Combine(_folder, "run")))
            {
                again.PrepareResume();
                var refused = Assert.Throws<ArgumentException>(() => new Trainer(task, Options with { Epochs = 2, Seed = 6 }).Prepare(train, test, again));
                Assert.Equal("The run was trained with Seed 5; Seed 6 would make it another run.", refused.Message);
                refused = Assert.Throws<ArgumentException>(() => new Trainer(task, Options with { Epochs = 2, Optimizer = OptimizerKind.Sgd }).Prepare(train, test, again));
                Assert.Equal("The run was trained with Optimizer AdamW; Optimizer Sgd would make it another run.", refused.Message);
                using var other = new SegmentationTask(model, fixture.Device);
                refused = Assert.Throws<ArgumentException>(() => new Trainer(other, Options with { Epochs = 2 }).Prepare(train, test, again));
                Assert.Equal("The checkpoint is a classification run, not segmentation.", refused.Message);
            }
            // A folder is never taken over from a run without being asked.
            using var taken = new RunFolder(Path.Combine(_folder, "run"));
            var held = Assert.Throws<RunExistsException>(() => new Trainer(task, Options).Prepare(train, test, taken));
            Assert.Equal(taken.Path, held.Folder);
            Assert.Contains("holds a run (classification, epoch 1 of 1, accuracy ", held.Message);
            var bad = Assert.Throws<ArgumentException>(() => new Trainer(task, Options with { BatchSize = 0 }));
            Assert.Equal("BatchSize must be positive, got 0.", bad.Message);
        }
        finally
        {
            model.Release();
        }
    }

    public static TheoryData<TrainingOptions, string> BadOptions() => new()
    {
        { new TrainingOptions { Epochs = 0 }, "Epochs must be positive, got 0." },
        { new TrainingOptions { BatchSize = -1 }, "BatchSize must be positive, got -1." },
        { new TrainingOptions { LearningRate = float.NaN }, "LearningRate must be a positive finite number, got NaN." },
        { new TrainingOptions { LearningRate = 0f }, "LearningRate must be a positive finite number, got 0." },
        { new TrainingOptions { WeightDecay = -0.1f }, "WeightDecay must be a finite number of at least 0, got -0.1." },
        { new TrainingOptions { Optimizer = (OptimizerKind)7 }, "Optimizer must be one of AdamW, Sgd, got 7." },
        { new TrainingOptions { Schedule = (ScheduleKind)9 }, "Schedule must be one of Cosine, OneCycle, Plateau, Constant, got 9." },
        { new TrainingOptions { SaveEvery = 0 }, "SaveEvery must be positive, got 0." },
        { new TrainingOptions { LogEvery = 0 }, "LogEvery must be positive, got 0." },
        { new TrainingOptions { Augmentation = new Augmentation(Padding: -2) }, "Augmentation.Padding must be at least 0, got -2." },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptionsAreRefusedWhenTheTrainerIsMadeNamingTheValue(TrainingOptions options, string message)
    {
        var model = Digits.SmallConvNet();
        using var task = new ClassificationTask(model, fixture.Device);
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new Trainer(task, options)).Message);
    }

    [Fact]
    public void AFormat2CheckpointIsReadAsTheRunItWas()
    {
        var model = new ModelOptions("resnet18", 10, 1, SmallStem: true, BaseWidth: 4, ImageSize: 28);
        string json = $$"""
            {"Format":2,"Task":"resnet","Model":{{JsonSerializer.Serialize(model)}},"Dataset":"fashion-mnist-small",
             "Settings":{"Model":"resnet","Dataset":"fashion-mnist-small","Epochs":3,"BatchSize":64,"LearningRate":0.002,"WeightDecay":0.0005,
                         "Seed":9,"Augment":true,"Optimizer":"sgd","Schedule":"onecycle","NoNormBiasDecay":true,"SyncBatchNorm":false,"Width":4},
             "Epoch":2,"Step":3,"StepsPerEpoch":10,"EpochLossSum":1.5,"NoiseOffset":0,"Metric":"accuracy","HigherIsBetter":true,"Value":0.5,"Best":0.5,"BestEpoch":2,"Ranks":1}
            """;
        var info = CheckpointInfo.Parse(json, "old");
        Assert.Equal((CheckpointInfo.CurrentFormat, "classification", "resnet"), (info.Format, info.Task, info.Kind()));
        Assert.Equal(model, info.Model);
        Assert.Equal(new TrainingOptions
        {
            Epochs = 3, BatchSize = 64, LearningRate = 0.002f, WeightDecay = 0.0005f, Seed = 9, Optimizer = OptimizerKind.Sgd, Schedule = ScheduleKind.OneCycle,
            NoDecayOnBiasesAndNorms = true, Augmentation = new Augmentation(HorizontalFlip: true, Padding: 1), LogEvery = 10,
        }, info.Options);
        var settings = info.CommandLineSettings("old");
        Assert.Equal(("fashion-mnist-small", 4), (settings.Dataset, settings.Width));
        Assert.Equal(settings.ToOptions(28), info.Options); // what train resumes it with
        Assert.Equal(23, info.GlobalStep);
    }

    private sealed class Recorder : TrainingCallback
    {
        public List<string> Events { get; } = [];
        public List<StepEnd> Steps { get; } = [];
        public List<double> Evaluations { get; } = [];

        public override void OnTrainBegin(TrainingSession session) => Events.Add("begin");
        public override void OnEpochBegin(EpochStart epoch) => Events.Add($"epoch {epoch.Epoch}/{epoch.Epochs}");
        public override void OnStepEnd(StepEnd step) => Steps.Add(step);

        public override void OnEpochEnd(EpochEnd epoch)
        {
            Events.Add($"end {epoch.Record.Epoch}");
            Evaluations.Add(epoch.Evaluation.Value);
        }

        public override void OnTrainEnd(TrainingResult result) => Events.Add("finished");
    }

    private sealed class StopAfter(int epochs) : TrainingCallback
    {
        public override void OnEpochEnd(EpochEnd epoch)
        {
            if (epoch.Record.Epoch == epochs)
                epoch.RequestStop();
        }
    }
}
