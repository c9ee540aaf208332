using Engine.Checkpoints;
using Engine.Data;
using Engine.Devices;
using Engine.Inference;
using Engine.IO;
using Engine.Tensors;
using Engine.Training;

namespace Engine.Tests.Docs.Guide;

/// <summary>
/// docs/GUIDE.md's program, its code blocks word for word between the region marks
/// (<see cref="GuideTests"/>). <see cref="Run"/> is what <see cref="EndToEndGuideTests"/> runs on the
/// suite's device; <see cref="OpenDeviceAndRun"/> only adds the line that opens the default device, and is compiled, not run.
/// </summary>
internal static class GuideProgram
{
    /// <summary>What the program leaves for the test to check.</summary>
    internal sealed record Outcome(
        TrainingResult Result,
        IReadOnlyList<(int Epoch, double TrainLoss, double Metric, float LearningRate)> History,
        long ParameterCount,
        LoadReport Report,
        int[] TestLabels,
        int[] Classes,
        float[] TrainedLogits,
        float[] ReloadedLogits,
        bool SameBits);

    internal static void OpenDeviceAndRun(string dataFolder, string workFolder)
    {
        #region guide
        using var device = ComputeDevice.OpenDefault();   // ENGINE_DEVICE if set (cpu, opencl, cuda:1), else CUDA, an OpenCL GPU, the CPU accelerator
        Run(device, dataFolder, workFolder, trainCount: 6000, testCount: 1000, Console.Out);
        #endregion
    }

    internal static Outcome Run(ComputeDevice device, string dataFolder, string workFolder, int trainCount, int testCount, TextWriter output)
    {
        #region guide
        // Fashion-MNIST's gzipped IDX files: the 6,000 / 1,000 subset the CLI embeds is in
        // src/Cli/Datasets/Embedded; scripts/download-data.sh puts the full set in data/fashion-mnist.
        ImageDataset Load(string split, int count)
        {
            NpyArray images = IdxFile.ReadImages(Path.Combine(dataFolder, $"{split}-images-idx3-ubyte.gz"));  // [N, 1, 28, 28] in [0, 1]
            int[] labels = IdxFile.ReadLabels(Path.Combine(dataFolder, $"{split}-labels-idx1-ubyte.gz"));     // [N], 0 to 9
            return new ImageDataset(images.Data, labels.Length, channels: 1, height: 28, width: 28, classes: 10, labels: labels)
                .Take(count);
        }
        var train = Load("train", trainCount);
        var test = Load("test", testCount);
        #endregion

        #region guide
        using var model = new SmallResNet(inChannels: 1, classes: 10, width: 8);   // nothing on the device yet
        using var task = new SmoothedClassificationTask(model, device, smoothing: 0.1f);
        var trainer = new Trainer(task, new TrainingOptions { Epochs = 2, BatchSize = 25, LearningRate = 2e-2f, WeightDecay = 1e-4f, Seed = 1 });
        var history = new EpochHistory(output);
        trainer.Callbacks.Add(history);
        TrainingResult result = trainer.Fit(train, test);   // initialises the model from Seed, trains, evaluates after each epoch
        output.WriteLine($"{model.ParameterCount:N0} parameters; {result.Evaluation!.Text}");
        #endregion

        #region guide
        string weights = Path.Combine(workFolder, "small-resnet.safetensors");
        StateDict.Save(model, weights);                          // every parameter, buffer and counter, by name
        using var reloaded = new SmallResNet(inChannels: 1, classes: 10, width: 8);
        reloaded.Initialize(device);                             // allocates its tensors; the load overwrites them
        LoadReport report = StateDict.Load(reloaded, weights);   // strict: a missing, extra or misshapen name throws
        #endregion

        #region guide
        using var predictor = reloaded.CreatePredictor(device, new Shape(1, 28, 28));   // evaluation mode, any batch size
        int[] classes = predictor.Classes(test.Images);          // [test.Count]: each image's arg-max class
        float[] logits = predictor.Logits(test.Images);          // [test.Count, 10]
        using var original = model.CreatePredictor(device, new Shape(1, 28, 28));
        float[] trainedLogits = original.Logits(test.Images);
        bool sameBits = trainedLogits.AsSpan().SequenceEqual(logits);   // true: the file holds the model exactly
        #endregion

        return new Outcome(result, history.Epochs, model.ParameterCount, report, test.Labels!, classes, trainedLogits, logits, sameBits);
    }
}
