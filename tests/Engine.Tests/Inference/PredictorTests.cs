using Engine.Devices;
using Engine.Graph;
using Engine.Inference;
using Engine.Models;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Inference;

/// <summary>
/// Inference sessions: any batch size gives each image the outputs a batch of its own gives, to the
/// bit; plans are kept per batch-size bucket within their bound; concurrent callers of mixed batch
/// sizes get exactly the results of sequential calls, and requests that wait together run as one
/// batch; bad input and a released model get one line each; disposal gives every buffer back.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class PredictorTests(DeviceFixture fixture) : IDisposable
{
    private readonly ComputeDevice _device = fixture.Device;
    private readonly Module _model = Classifier(fixture.Device);

    public void Dispose() => _model.Dispose();

    private static readonly Shape Image = new(1, 12, 12);

    /// <summary>A small ResNet-18 (batch norm in evaluation mode, residual blocks, a linear head) with its running statistics moved off their defaults.</summary>
    private static Module Classifier(ComputeDevice device)
    {
        var model = ResNet.ResNet18(classes: 5, inChannels: 1, smallStem: true, width: 4);
        model.Initialize(device, seed: 11);
        foreach (var (name, state) in model.NamedState().Where(s => s.Name.EndsWith("running_var", StringComparison.Ordinal)))
            state.Value.CopyFrom(Reference.Random((int)state.Shape.Numel, name.Length, 0.5f, 1.5f));
        return model;
    }

    private static float[] Images(int count, int seed) => Reference.Random(count * (int)Image.Numel, seed);

    /// <summary>The model on each image alone, through a plan of batch 1 compiled here (not the predictor's).</summary>
    private float[] OneByOne(float[] images)
    {
        var g = new GraphBuilder(_device, training: false);
        var x = g.Input("x", 1, 1, 12, 12);
        var y = _model.Call(x);
        using var plan = g.CompileInference(y);
        int count = images.Length / (int)Image.Numel;
        var result = new List<float>();
        for (int i = 0; i < count; i++)
        {
            plan.Value(x).CopyFrom(images.AsSpan(i * (int)Image.Numel, (int)Image.Numel));
            plan.Forward();
            result.AddRange(plan.Value(y).ToArray());
        }
        return result.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(19)] // three parts at a largest batch of 8: 8, 8 and 3 in a plan of 4
    public void AnyBatchSizeGivesEachImageItsOwnOutputsToTheBit(int count)
    {
        using var predictor = _model.CreatePredictor(_device, Image, new PredictorOptions { MaxBatchSize = 8 });
        var images = Images(count, count);
        float[] logits = predictor.Logits(images);
        Assert.Equal(new Shape(count, 5), predictor.OutputShape(count));
        Reference.AssertExactly(OneByOne(images), logits, $"logits of {count} images");
    }

    [Fact]
    public void ProbabilitiesAreTheSoftmaxOfTheLogitsAndClassesTheirArgMax()
    {
        using var predictor = _model.CreatePredictor(_device, Image);
        var images = Images(6, 2);
        float[] logits = predictor.Logits(images);
        float[] probabilities = predictor.Probabilities(images);
        int[] classes = predictor.Classes(images);
        Assert.Equal(6, classes.Length);
        for (int i = 0; i < 6; i++)
        {
            var row = logits.AsSpan(i * 5, 5).ToArray();
            double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
            for (int c = 0; c < 5; c++)
                Assert.True(Math.Abs(probabilities[i * 5 + c] - Math.Exp(row[c] - max) / sum) < 1e-6, $"image {i} class {c}: {probabilities[i * 5 + c]}");
            Assert.Equal(Array.IndexOf(row, row.Max()), classes[i]);
        }
    }

    [Fact]
    public void ASegmenterGivesMasks()
    {
        using var model = new Sequential(new Conv2d(1, 4, 3, padding: 1), ReLU.Create(), new Conv2d(4, 3, 1));
        model.Initialize(_device, seed: 5);
        using var predictor = model.CreatePredictor(_device, Image);
        var images = Images(3, 9);
        int[] masks = predictor.Classes(images);
        float[] logits = predictor.Logits(images);
        Assert.Equal(new Shape(3, 3, 12, 12), predictor.OutputShape(3));
        Assert.Equal(3 * 12 * 12, masks.Length);
        for (int n = 0; n < 3; n++)
            for (int p = 0; p < 144; p++)
            {
                var scores = Enumerable.Range(0, 3).Select(c => logits[(n * 3 + c) * 144 + p]).ToArray();
                Assert.Equal(Array.IndexOf(scores, scores.Max()), masks[n * 144 + p]);
            }
    }

    [Fact]
    public void PlansAreKeptPerBatchBucketWithinTheirBound()
    {
        using var predictor = _model.CreatePredictor(_device, Image, new PredictorOptions { MaxBatchSize = 16, MaxCachedPlans = 2 });
        Assert.Equal([1, 2, 4, 4, 8, 16, 16], new[] { 1, 2, 3, 4, 5, 9, 16 }.Select(predictor.Bucket).ToArray());
        foreach (int count in new[] { 3, 4, 3, 4 })
            predictor.Logits(Images(count, count));
        Assert.Equal(1, predictor.CompiledPlanCount); // 3 and 4 share the plan of 4
        predictor.Logits(Images(1, 1));
        predictor.Logits(Images(2, 1));
        Assert.Equal(2, predictor.CachedPlanCount); // the bound: the plan of 4, used longest ago, was dropped
        Assert.Equal(3, predictor.CompiledPlanCount);
        predictor.Logits(Images(3, 3));
        Assert.Equal(4, predictor.CompiledPlanCount);
        Assert.Equal(7, predictor.RequestCount);
    }

    [Fact]
    public async Task ConcurrentCallersOfMixedBatchSizesGetTheResultsOfSequentialCalls()
    {
        using var predictor = _model.CreatePredictor(_device, Image, new PredictorOptions { MaxBatchSize = 16 });
        int[] sizes = [1, 5, 2, 9, 1, 3, 16, 7, 4, 1, 2, 6, 11, 1, 8, 3];
        var inputs = sizes.Select((n, i) => Images(n, 100 + i)).ToArray();
        var expected = inputs.Select(OneByOne).ToArray();
        for (int round = 0; round < 3; round++)
        {
            var tasks = inputs.Select((images, i) => i % 2 == 0
                ? Task.Run(() => predictor.Logits(images))          // blocking callers on pool threads
                : predictor.LogitsAsync(images, TestContext.Current.CancellationToken)).ToArray(); // and async ones
            var results = await Task.WhenAll(tasks);
            for (int i = 0; i < sizes.Length; i++)
                Reference.AssertExactly(expected[i], results[i], $"round {round}, caller {i} ({sizes[i]} images)");
        }
        Assert.Equal(48, predictor.RequestCount);
    }

    [Fact]
    public async Task RequestsThatWaitTogetherRunAsOneBatch()
    {
        using var predictor = _model.CreatePredictor(_device, Image, new PredictorOptions { MaxBatchSize = 16 });
        var inputs = new[] { Images(3, 1), Images(2, 2), Images(4, 3) };
        await _device.Gate.WaitAsync(TestContext.Current.CancellationToken); // the device busy: the three queue up
        var tasks = inputs.Select(images => predictor.LogitsAsync(images, TestContext.Current.CancellationToken)).ToArray();
        var probabilities = predictor.ProbabilitiesAsync(Images(1, 4), TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.All(tasks, t => Assert.False(t.IsCompleted));
        _device.Gate.Release();
        var results = await Task.WhenAll(tasks);
        await probabilities;
        Assert.Equal(1, predictor.RunCount); // 10 images in one run of the plan of 16
        Assert.Equal(4, predictor.RequestCount);
        for (int i = 0; i < inputs.Length; i++)
            Reference.AssertExactly(OneByOne(inputs[i]), results[i], $"request {i}");
    }

    [Fact]
    public async Task ACancelledRequestLeavesTheQueue()
    {
        using var predictor = _model.CreatePredictor(_device, Image);
        await _device.Gate.WaitAsync(TestContext.Current.CancellationToken);
        using var cancel = new CancellationTokenSource();
        var request = predictor.ClassesAsync(Images(2, 1), cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        _device.Gate.Release();
        Assert.Equal(2, predictor.Classes(Images(2, 1)).Length);
        Assert.Equal(1, predictor.RunCount); // the cancelled request never ran
    }

    [Fact]
    public void BadInputAndAReleasedModelGetOneLineEach()
    {
        var predictor = _model.CreatePredictor(_device, Image);
        var error = Assert.Throws<ArgumentException>(() => predictor.Logits(new float[150]));
        Assert.StartsWith("The predictor takes images of [1, 12, 12] (144 values each); 150 values are not a whole number of images.", error.Message);
        Assert.Throws<ArgumentException>(() => predictor.Logits([]));
        Assert.Throws<ArgumentException>(() => _model.CreatePredictor(_device, Image, new PredictorOptions { MaxBatchSize = 0 }));
        var wrongShape = Assert.ThrowsAny<ArgumentException>(() => _model.CreatePredictor(_device, new Shape(3, 12, 12)));
        Assert.Contains("conv1", wrongShape.Message); // the module path of the shape error

        using var other = Classifier(_device);
        using var second = other.CreatePredictor(_device, Image);
        other.Release();
        var released = Assert.Throws<InvalidOperationException>(() => second.Logits(Images(1, 1)));
        Assert.StartsWith($"The predictor on {_device.Name}: the model was released", released.Message);
        predictor.Dispose();
        Assert.Throws<ObjectDisposedException>(() => predictor.Logits(Images(1, 1)));
    }

    [Fact]
    public void APredictorRefusesAModelOnAnotherDeviceWhenItIsMade()
    {
        using var other = ComputeDevice.Open(fixture.Spec);
        using var model = Classifier(other);
        var error = Assert.Throws<InvalidOperationException>(() => model.CreatePredictor(_device, Image));
        Assert.Equal($"The predictor runs on {_device.Name}, but the model's conv1.weight is on {other.Name}: initialise or load the model on {_device.Name}.", error.Message);
        using var uninitialised = ResNet.ResNet18(classes: 5, inChannels: 1, smallStem: true, width: 4);
        Assert.Contains("the model is not initialised (conv1.weight has no value)", Assert.Throws<InvalidOperationException>(() => uninitialised.CreatePredictor(_device, Image)).Message);
    }

    [Fact]
    public void DisposingThePredictorAndItsModelGivesEveryBufferBack()
    {
        long bytes = _device.LiveBytes, buffers = _device.LiveBufferCount;
        var model = Classifier(_device);
        var predictor = model.CreatePredictor(_device, Image, new PredictorOptions { OwnsModel = true });
        predictor.Logits(Images(5, 1));
        predictor.Classes(Images(2, 1));
        Assert.True(_device.LiveBytes > bytes);
        predictor.Dispose();
        Assert.True(model.IsReleased);
        Assert.Equal(bytes, _device.LiveBytes);
        Assert.Equal(buffers, _device.LiveBufferCount);
    }
}
