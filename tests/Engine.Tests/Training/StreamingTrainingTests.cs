using Engine.Data;
using Engine.Tests.Infrastructure;
using Engine.Training;
using StbImageWriteSharp;

namespace Engine.Tests.Training;

/// <summary>
/// <see cref="Trainer.Fit"/> on datasets streamed a batch at a time: any <see cref="IDataset"/>
/// trains to the bits of the same images in memory, an image folder of PNGs through random
/// transforms learns and resumes to the bits of an uninterrupted run, and a resume on other
/// transforms or data is refused.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class StreamingTrainingTests(DeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-streaming-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly TrainingOptions Options = new() { Epochs = 2, BatchSize = 32, LearningRate = 3e-3f, WeightDecay = 1e-4f, Seed = 5, LogEvery = 7 };

    /// <summary>A dataset that is not an <see cref="ImageDataset"/> (so the trainer streams it), counting its reads.</summary>
    private sealed class Streamed(IDataset source) : IDataset
    {
        private int _reads;

        public int Reads => _reads;
        public int Count => source.Count;
        public int Channels => source.Channels;
        public int Height => source.Height;
        public int Width => source.Width;
        public int Classes => source.Classes;

        public int Read(int index, Span<float> image)
        {
            Interlocked.Increment(ref _reads);
            return source.Read(index, image);
        }
    }

    // The digits, 1,437 to train on and 360 held out, in a fixed order (quantised to bytes, as PNGs hold them).
    private static (ImageDataset Train, ImageDataset Test) DigitSplit()
    {
        var (images, labels) = Digits.All;
        var bytes = Array.ConvertAll(images, v => MathF.Round(Math.Clamp(v, 0f, 1f) * 255f) / 255f);
        var all = new ImageDataset(bytes, labels.Length, 1, 8, 8, classes: 10, labels: labels);
        var order = Enumerable.Range(0, labels.Length).ToArray();
        new Random(0).Shuffle(order);
        return (all.Select(order[..1437]), all.Select(order[1437..]));
    }

    // The split's images as 8-bit grey PNGs under root/{digit}/, named so that each class keeps the split's order.
    private string WriteFolder(string name, ImageDataset data)
    {
        string root = Path.Combine(_folder, name);
        for (int i = 0; i < data.Count; i++)
        {
            var pixels = data.Images.AsSpan(i * 64, 64).ToArray().Select(v => (byte)MathF.Round(v * 255f)).ToArray();
            string path = Path.Combine(root, $"{data.Labels![i]}", $"{i:D5}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var file = File.Create(path);
            new ImageWriter().WritePng(pixels, 8, 8, ColorComponents.Grey, file);
        }
        return root;
    }

    private static float[] Weights(Engine.Modules.Module model) =>
        [.. model.NamedState().SelectMany(s => s.State.Value.ToArray())];

    [Fact]
    public void AStreamedDatasetTrainsToTheBitsOfTheSameImagesInMemory()
    {
        var (train, test) = DigitSplit();
        (float[] Weights, TrainingResult Result) Run(IDataset trainSet, IDataset testSet)
        {
            var model = Digits.SmallConvNet();
            using var task = new ClassificationTask(model, fixture.Device);
            try
            {
                var result = new Trainer(task, Options).Fit(trainSet, testSet, cancellationToken: TestContext.Current.CancellationToken);
                return (Weights(model), result);
            }
            finally
            {
                model.Release();
            }
        }
        var (memoryWeights, memory) = Run(train, test);
        var streamedTrain = new Streamed(train);
        var (streamedWeights, streamed) = Run(streamedTrain, new Streamed(test));

        Reference.AssertExactly(memoryWeights, streamedWeights, "weights after two epochs");
        Assert.Equal(memory.Evaluation!.Text, streamed.Evaluation!.Text);
        Assert.True(memory.Evaluation.Value >= 0.85, memory.Evaluation.Text);
        Assert.Equal(memory.Checkpoint.EpochLog.Select(e => e.TrainLoss), streamed.Checkpoint.EpochLog.Select(e => e.TrainLoss));
        // The streamed set's fingerprint is that of the same images in memory.
        Assert.Equal(memory.Checkpoint.Data, streamed.Checkpoint.Data);
        // Read once for the fingerprint, then a batch at a time: two epochs of 44 batches of 32.
        Assert.Equal(train.Count + 2 * (1437 / 32) * 32, streamedTrain.Reads);
    }

    [Fact]
    public void AnImageFolderThroughRandomTransformsLearnsAndResumesToTheBitsOfAnUninterruptedRun()
    {
        var (trainImages, testImages) = DigitSplit();
        string trainRoot = WriteFolder("train", trainImages), testRoot = WriteFolder("test", testImages);
        ITransform[] Augment(int padding) => [new RandomCrop(8, 8, padding), new Normalize([0.5f], [0.5f])];
        var test = new TransformedDataset(new ImageFolderDataset(testRoot, 1, 8, 8), [new Normalize([0.5f], [0.5f])]);
        var options = Options with { Epochs = 3, SaveEvery = 20 };
        long stoppedAt = 0;
        TrainingResult? whole = null;
        void Part(string name, bool resume, long? cancelAt, int padding = 1)
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
                var train = new TransformedDataset(new ImageFolderDataset(trainRoot, 1, 8, 8), Augment(padding));
                var result = trainer.Fit(train, test, folder, cancel.Token);
                if (result.Interrupted)
                    stoppedAt = result.Checkpoint.GlobalStep;
                else
                    whole ??= result;
            }
            finally
            {
                model.Release();
            }
        }
        Part("whole", resume: false, cancelAt: null);
        Part("split", resume: false, cancelAt: 61); // in epoch 2, after the commit at step 60
        Assert.InRange(stoppedAt, 61, 64);
        // Other random transforms make another run: refused before a step.
        var refused = Assert.Throws<InvalidDataException>(() => Part("split", resume: true, cancelAt: null, padding: 2));
        Assert.Contains("trained on other data", refused.Message);
        Part("split", resume: true, cancelAt: null);
        RunFiles.AssertSameTensors(Path.Combine(_folder, "whole", RunFolder.LastFile), Path.Combine(_folder, "split", RunFolder.LastFile));
        RunFiles.AssertSameLogs(Path.Combine(_folder, "whole"), Path.Combine(_folder, "split"));
        Assert.True(whole!.Evaluation!.Value >= 0.85, whole.Evaluation.Text);
    }

    [Fact]
    public void AStreamedDatasetTakesItsAugmentationAsTransformsAndSegmentationNeedsMasksInMemory()
    {
        var (train, test) = DigitSplit();
        var model = Digits.SmallConvNet();
        using var task = new ClassificationTask(model, fixture.Device);
        var trainer = new Trainer(task, Options with { Augmentation = new Augmentation(HorizontalFlip: false, Padding: 1) });
        var refused = Assert.Throws<ArgumentException>(() => trainer.Fit(new Streamed(train), test, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("TransformedDataset", refused.Message);

        using var segmenter = new SegmentationTask(new Engine.Models.UNet(1, 2, baseWidth: 2, depth: 1), fixture.Device, classes: 2);
        var noMasks = Assert.Throws<ArgumentException>(() => new Trainer(segmenter, Options).Fit(new Streamed(train), new Streamed(test), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("needs a dataset with masks", noMasks.Message);
    }
}
