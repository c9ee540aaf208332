using Engine.Checkpoints;
using Engine.Data;
using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// <see cref="TrainingOptions.Accumulate"/> (N batches summed, each scaled by 1/N: the gradient of
/// their combined batch), <see cref="TrainingOptions.ClipGradNorm"/> (torch's clip_grad_norm_) and
/// <see cref="TrainingOptions.RestoreBestWeights"/>, each on one or a few steps of real data.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class TrainerOptionsTests(DeviceFixture fixture)
{
    private readonly ComputeDevice _device = fixture.Device;

    private static readonly TrainingOptions OneStep = new()
    {
        Epochs = 1, BatchSize = 32, LearningRate = 1e-3f, WeightDecay = 0, Seed = 9, Optimizer = OptimizerKind.Sgd, Schedule = ScheduleKind.Constant,
    };

    // The first 32 digits (pixels k/16) to train on, 40 more held out.
    private static (ImageDataset Train, ImageDataset Test) Digits32(bool labels)
    {
        var (images, classes) = Digits.First(72);
        var all = labels ? new ImageDataset(images, 72, 1, 8, 8, classes: 10, labels: classes) : new ImageDataset(images, 72, 1, 8, 8);
        return (all.Select([.. Enumerable.Range(0, 32)]), all.Select([.. Enumerable.Range(32, 40)]));
    }

    // No batch norm: it normalises each batch alone, so N batches and their union differ by more than rounding.
    private static Sequential ConvNet() => new(
        new Conv2d(1, 8, 3, padding: 1), ReLU.Create(), new MaxPool2d(2), new Flatten(), new Linear(128, 10));

    private static float[][] Gradients(Module model) => model.NamedParameters().Select(p => p.Parameter.Grad.ToArray()).ToArray();

    private static float[][] Values(Module model) => model.NamedParameters().Select(p => p.Parameter.Value.ToArray()).ToArray();

    /// <summary>Trains one step (Epochs 1, 32 images) and returns the gradient it stepped with, which the parameters still hold.</summary>
    private float[][] OneStepGradient(Module model, TrainingTask task, TrainingOptions options, ImageDataset train, ImageDataset test)
    {
        var result = new Trainer(task, options).Fit(train, test, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, result.Checkpoint.GlobalStep);
        return Gradients(model);
    }

    [Fact]
    public void FourAccumulatedBatchesOf8StepWithTheGradientOfTheirBatchOf32()
    {
        var (train, test) = Digits32(labels: true);
        float[][] Run(int batch, int accumulate)
        {
            using var model = ConvNet();
            using var task = new ClassificationTask(model, _device);
            return OneStepGradient(model, task, OneStep with { BatchSize = batch, Accumulate = accumulate }, train, test);
        }
        var combined = Run(32, 1);
        var accumulated = Run(8, 4);
        for (int p = 0; p < combined.Length; p++)
        {
            double scale = combined[p].Max(v => Math.Abs((double)v));
            Assert.True(scale > 0);
            for (int i = 0; i < combined[p].Length; i++)
                Assert.True(Math.Abs(combined[p][i] - accumulated[p][i]) <= 2e-6 * scale, $"parameter {p} [{i}]: {combined[p][i]} vs {accumulated[p][i]}");
        }
    }

    [Fact]
    public void WithExactlyRepresentableValuesTheAccumulatedGradientEqualsTheCombinedOneToTheBit()
    {
        // Pixels k/16, weights and biases k/8, a linear map and the mean squared error against the
        // image: every product and sum is a dyadic number of few bits, exact in any order, so the
        // two gradients can differ only by what accumulation adds or loses.
        var (train, test) = Digits32(labels: false);
        float[][] Run(int batch, int accumulate)
        {
            using var model = new Sequential(new Flatten(), new Linear(64, 64));
            model.Initialize(_device, seed: 3);
            var random = new Random(4);
            foreach (var (_, parameter) in model.NamedParameters())
                parameter.Value.CopyFrom(Enumerable.Range(0, (int)parameter.Shape.Numel).Select(_ => random.Next(-8, 9) / 8f).ToArray());
            using var task = new ReconstructionTask(model, _device);
            return OneStepGradient(model, task, OneStep with { BatchSize = batch, Accumulate = accumulate }, train, test);
        }
        var combined = Run(32, 1);
        foreach (var (batch, accumulate) in new[] { (8, 4), (16, 2), (4, 8) })
        {
            var accumulated = Run(batch, accumulate);
            for (int p = 0; p < combined.Length; p++)
                Reference.AssertExactly(combined[p], accumulated[p], $"parameter {p}, {accumulate} x {batch}");
        }
        Assert.Contains(combined[0], v => v != 0);
    }

    [Fact]
    public void ClippingScalesTheStepToTheMaximumNormAsClipGradNormDoes()
    {
        var (train, test) = Digits32(labels: true);
        using var model = ConvNet();
        model.Initialize(_device, seed: 5);
        var before = Values(model);
        using var task = new ClassificationTask(model, _device);
        const float maxNorm = 0.1f;
        var trainer = new Trainer(task, OneStep with { LearningRate = 1f, ClipGradNorm = maxNorm });
        using var session = trainer.Prepare(train, test);
        session.Run(TestContext.Current.CancellationToken);
        var gradient = Gradients(model); // as the backward pass left it: the update scaled it, the buffer was not
        double norm = Math.Sqrt(gradient.Sum(g => g.Sum(v => (double)v * v)));
        Assert.True(norm > 2 * maxNorm, $"the gradient's norm {norm} should be clipped");
        Assert.Equal(norm, session.Optimizer.LastGradNorm.ToArray()[0], norm * 1e-5);
        // SGD's first step with momentum is p -= lr * g; clipped, g * max / (norm + 1e-6).
        double factor = maxNorm / (norm + 1e-6);
        var after = Values(model);
        for (int p = 0; p < after.Length; p++)
        {
            for (int i = 0; i < after[p].Length; i++)
            {
                double expected = before[p][i] - factor * gradient[p][i];
                Assert.True(Math.Abs(after[p][i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"parameter {p} [{i}]: {after[p][i]} vs {expected}");
            }
        }
        double step = Math.Sqrt(after.Zip(before).Sum(pair => pair.First.Zip(pair.Second).Sum(v => ((double)v.First - v.Second) * (v.First - v.Second))));
        Assert.Equal(maxNorm, step, 1e-4);
    }

    [Fact]
    public void RestoreBestWeightsPutsTheBestEpochBackAfterAnEarlyStop()
    {
        var (train, test) = Digits32(labels: false);
        // The metric each evaluation reports: best after epoch 2, then two epochs without improvement; the fifth evaluates the restored weights.
        double[] metrics = [0.5, 0.9, 0.6, 0.7, 0.9];
        foreach (bool restore in new[] { true, false })
        {
            using var model = new Sequential(new Flatten(), new Linear(64, 64));
            using var task = new ReconstructionTask(model, _device, metrics);
            var trainer = new Trainer(task, OneStep with { Epochs = 6, BatchSize = 8, RestoreBestWeights = restore });
            var snapshots = new EpochSnapshots(model);
            trainer.Callbacks.Add(new EarlyStopping(patience: 2));
            trainer.Callbacks.Add(snapshots);
            var result = trainer.Fit(train, test, cancellationToken: TestContext.Current.CancellationToken);

            Assert.True(result.StoppedEarly);
            Assert.Equal((4, 2), (result.Checkpoint.Epoch, result.Checkpoint.BestEpoch));
            Assert.NotEqual(snapshots.Weights[1][0], snapshots.Weights[3][0]);
            var weights = Values(model);
            for (int p = 0; p < weights.Length; p++)
                Reference.AssertExactly(snapshots.Weights[restore ? 1 : 3][p], weights[p], $"parameter {p}");
            Assert.Equal(restore ? 2 : null, result.RestoredEpoch);
            Assert.Equal(restore ? 0.9 : 0.7, result.Evaluation!.Value);
        }
    }

    [Fact]
    public void TheNewOptionsAreCheckedAndAChangedAccumulationIsRefusedOnResume()
    {
        Assert.Equal("Accumulate must be at least 1 batch, got 0.", Assert.Throws<ArgumentException>(() => (OneStep with { Accumulate = 0 }).Validate()).Message);
        Assert.Equal("ClipGradNorm must be a positive finite number, got NaN.", Assert.Throws<ArgumentException>(() => (OneStep with { ClipGradNorm = float.NaN }).Validate()).Message);
        Assert.Equal("ClipGradNorm must be a positive finite number, got 0.", Assert.Throws<ArgumentException>(() => (OneStep with { ClipGradNorm = 0 }).Validate()).Message);

        var (train, test) = Digits32(labels: true);
        using var model = ConvNet();
        using var task = new ClassificationTask(model, _device);
        var refused = Assert.Throws<ArgumentException>(() => new Trainer(task, OneStep with { BatchSize = 8, Accumulate = 5 }).Prepare(train, test));
        Assert.Equal("Accumulate 5 batches of 8 takes 40 images a step, more than the 32 training images.", refused.Message);

        string folderPath = Directory.CreateTempSubdirectory("engine-accumulate-").FullName;
        try
        {
            using (var folder = new RunFolder(folderPath))
                new Trainer(task, OneStep with { BatchSize = 8, Accumulate = 2 }).Fit(train, test, folder, TestContext.Current.CancellationToken);
            using var resumed = new RunFolder(folderPath);
            resumed.PrepareResume();
            var changed = Assert.Throws<ArgumentException>(() => new Trainer(task, OneStep with { Epochs = 2, BatchSize = 8, Accumulate = 4 }).Prepare(train, test, resumed));
            Assert.Equal("The run was trained with Accumulate 2; Accumulate 4 would make it another run.", changed.Message);
        }
        finally
        {
            Directory.Delete(folderPath, recursive: true);
        }
    }

    [Fact]
    public void AnAccumulatedClippedRunCancelledMidEpochResumesToTheBitsOfAnUninterruptedOne()
    {
        var (images, classes) = Digits.First(240);
        var all = new ImageDataset(images, 240, 1, 8, 8, classes: 10, labels: classes);
        var (train, test) = (all.Select([.. Enumerable.Range(0, 200)]), all.Select([.. Enumerable.Range(200, 40)]));
        // 25 batches of 8 an epoch: 12 steps of two, the 25th batch dropped.
        var options = OneStep with { Epochs = 2, BatchSize = 8, Accumulate = 2, ClipGradNorm = 0.5f, SaveEvery = 5, Optimizer = OptimizerKind.AdamW, Schedule = ScheduleKind.Cosine };
        string root = Directory.CreateTempSubdirectory("engine-accumulate-resume-").FullName;
        try
        {
            long Part(string name, bool resume, long? cancelAt)
            {
                using var model = ConvNet();
                using var task = new ClassificationTask(model, _device);
                using var folder = new RunFolder(Path.Combine(root, name));
                using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
                if (resume)
                    folder.PrepareResume();
                var trainer = new Trainer(task, options);
                if (cancelAt is long step)
                    trainer.Callbacks.Add(new CancelAt(step, cancel));
                var result = trainer.Fit(train, test, folder, cancel.Token);
                Assert.Equal(12, result.Checkpoint.StepsPerEpoch);
                return result.Checkpoint.GlobalStep;
            }
            Assert.Equal(24, Part("whole", resume: false, cancelAt: null));
            Assert.Equal(17, Part("split", resume: false, cancelAt: 17)); // in epoch 2 after step 5: the resumed epoch skips 10 batches
            Assert.Equal(24, Part("split", resume: true, cancelAt: null));
            RunFiles.AssertSameTensors(Path.Combine(root, "whole", RunFolder.LastFile), Path.Combine(root, "split", RunFolder.LastFile));
            RunFiles.AssertSameLogs(Path.Combine(root, "whole"), Path.Combine(root, "split"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Each epoch's weights, copied when it ends.</summary>
    private sealed class EpochSnapshots(Module model) : TrainingCallback
    {
        public List<float[][]> Weights { get; } = [];

        public override void OnEpochEnd(EpochEnd epoch) => Weights.Add(Values(model));
    }

    /// <summary>
    /// The mean squared error of the model's output against the flattened image; its evaluation
    /// reports the given metrics in turn (0 when none are given), higher better.
    /// </summary>
    private sealed class ReconstructionTask(Module model, ComputeDevice device, double[]? metrics = null) : TrainingTask(model, device)
    {
        private int _evaluations;

        public override string Kind => "reconstruction";

        public override string MetricName => "score";

        public override bool HigherIsBetter => true;

        protected override Node TrainingLoss(Node x, Node? targets) => Model.Call(x).MseLoss(x.Flatten());

        public override Evaluation Evaluate(IDataset data, int batchSize)
        {
            double value = metrics?[_evaluations++] ?? 0;
            return new Evaluation(value, $"score {value}", $"{value}");
        }
    }
}
