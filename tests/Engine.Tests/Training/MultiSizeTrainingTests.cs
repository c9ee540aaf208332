using Engine.Data;
using Engine.Models;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// One run over images of several sizes (<see cref="MultiSizeDataset"/>): the sklearn digits at
/// 8x8 and resized to 12x12, batches of one size each, one compiled graph per size sharing the
/// weights and the optimiser. Both sizes' losses fall, each size is evaluated, a rerun gives the
/// same bits, a plan cache of one graph gives the bits of one that keeps both, and a model whose
/// head needs one size is refused in one line naming the sizes.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class MultiSizeTrainingTests(DeviceFixture fixture)
{
    private static readonly (int, int)[] Sizes = [(8, 8), (12, 12)];

    private static readonly TrainingOptions Options = new() { Epochs = 3, BatchSize = 32, LearningRate = 3e-3f, WeightDecay = 1e-4f, Seed = 7, LogEvery = 1000 };

    // The digits, 1,437 to train on and 360 held out, each at 8x8 and 12x12.
    private static (MultiSizeDataset Train, MultiSizeDataset Test) DigitSplit()
    {
        var (images, labels) = Digits.All;
        var all = new ImageDataset(images, labels.Length, 1, 8, 8, classes: 10, labels: labels);
        return (new MultiSizeDataset(all.Take(1437), Sizes), new MultiSizeDataset(all.Select([.. Enumerable.Range(1437, 360)]), Sizes));
    }

    /// <summary>Each step's loss with the size of its batch (batch b of an epoch has size b mod 2).</summary>
    private sealed class Losses : TrainingCallback
    {
        public List<(int Epoch, int Size, float Loss)> Steps { get; } = [];

        public override void OnStepEnd(StepEnd step) => Steps.Add((step.Epoch, (step.Step - 1) % 2, step.Loss));
    }

    private (float[] Weights, TrainingResult Result, Losses Losses, int Compiled) Train(int maxCompiled)
    {
        var (train, test) = DigitSplit();
        var model = new SppNet(classes: 10, inChannels: 1, width: 4);
        using var task = new ClassificationTask(model, fixture.Device) { MaxCompiledPlans = maxCompiled };
        try
        {
            var losses = new Losses();
            var trainer = new Trainer(task, Options);
            trainer.Callbacks.Add(losses);
            var result = trainer.Fit(train, test);
            return ([.. model.NamedState().SelectMany(s => s.State.Value.ToArray())], result, losses, task.Plans.CompiledCount);
        }
        finally
        {
            model.Release();
        }
    }

    [Fact]
    public void TwoSizesTrainInOneRunBothLossesFallAndARerunGivesTheSameBits()
    {
        var (weights, result, losses, compiled) = Train(maxCompiled: 4);
        Assert.Equal(2, compiled);
        var steps = losses.Steps;
        Assert.Equal(3 * (1437 / 32), steps.Count);
        foreach (int size in new[] { 0, 1 })
        {
            double first = steps.Where(s => s.Epoch == 1 && s.Size == size).Take(5).Average(s => s.Loss);
            double last = steps.Where(s => s.Epoch == 3 && s.Size == size).TakeLast(5).Average(s => s.Loss);
            Assert.True(last < 0.6 * first, $"size {Sizes[size]}: loss {first:F4} at the start, {last:F4} at the end");
        }
        var bySize = result.Evaluation!.BySize;
        Assert.Equal(["8x8", "12x12"], bySize.Select(s => s.Size));
        foreach (var (size, evaluation) in bySize)
            Assert.True(evaluation.Value > 0.6, $"{size}: {evaluation.Text}");
        // The headline counts every test image at every size.
        Assert.Equal(bySize.Average(s => s.Evaluation.Value), result.Evaluation.Value, 12);
        Assert.Contains("/720); 8x8 ", result.Evaluation.Text);

        var again = Train(maxCompiled: 4);
        Assert.Equal(weights, again.Weights);
        Assert.Equal(bySize.Select(s => s.Evaluation), again.Result.Evaluation!.BySize.Select(s => s.Evaluation));
        Assert.Equal(steps, again.Losses.Steps);

        // One graph compiled at a time: the other size's is freed and compiled again at every batch, to the same bits.
        var bounded = Train(maxCompiled: 1);
        Assert.Equal(1, bounded.Compiled);
        Assert.Equal(weights, bounded.Weights);
        Assert.Equal(steps, bounded.Losses.Steps);
    }

    [Fact]
    public void AModelWhoseHeadNeedsOneSizeIsRefusedNamingTheSizes()
    {
        var (train, test) = DigitSplit();
        var model = Digits.SmallConvNet(); // Flatten -> Linear(128): 8x8 images only
        using var task = new ClassificationTask(model, fixture.Device);
        var error = Assert.Throws<ArgumentException>(() => new Trainer(task, Options).Prepare(train, test));
        Assert.StartsWith("The model cannot train on images of several sizes (1x8x8, 1x12x12): at 1x12x12, ", error.Message);
        Assert.EndsWith("pool to a fixed length first (SpatialPyramidPooling, AdaptiveAvgPool2d or global pooling).", error.Message);
        Assert.Contains("128", error.Message); // the linear layer's features, from the shape error
        Assert.DoesNotContain(model.NamedState(), s => s.State.IsInitialized); // refused before anything was allocated
    }

    [Fact]
    public void TestImagesAtOtherSizesThanTheTrainingOnesAreRefused()
    {
        var (train, _) = DigitSplit();
        var (images, labels) = Digits.All;
        var test = new ImageDataset(images, labels.Length, 1, 8, 8, classes: 10, labels: labels);
        var model = new SppNet(classes: 10, inChannels: 1, width: 4);
        using var task = new ClassificationTask(model, fixture.Device);
        var error = Assert.Throws<ArgumentException>(() => new Trainer(task, Options).Prepare(train, test));
        Assert.Equal("The training images come at 8x8, 12x12 but the test images at 8x8: evaluate at the sizes trained on.", error.Message);
    }
}
