using Engine.Data;
using Engine.Devices;
using Engine.Models;
using Engine.Training;

namespace Engine.Tests.Docs;

/// <summary>The README's C# snippet 1, word for word between the region marks (<see cref="ReadmeSnippetTests"/>), compiled with only the README's usings.</summary>
internal static class ReadmeSnippet1
{
    internal static Engine.Training.TrainingResult Run(float[] images, int count, int[] labels, Engine.Data.ImageDataset test, CancellationToken cancellationToken)
    {
        #region readme
        using var device = ComputeDevice.OpenDefault();
        var train = new ImageDataset(images, count, channels: 1, height: 28, width: 28, classes: 10, labels: labels);
        var model = ResNet.ResNet18(classes: 10, inChannels: 1, smallStem: true, width: 8);
        using var task = new ClassificationTask(model, device);      // or SegmentationTask, VaeTask, a TrainingTask of your own
        var trainer = new Trainer(task, new TrainingOptions { Epochs = 10, BatchSize = 64, LearningRate = 2e-3f });
        trainer.Callbacks.Add(new EarlyStopping(patience: 3));       // TrainingCallback: OnEpochEnd, OnStepEnd, OnCheckpoint, ...
        using var folder = new RunFolder("runs/mine");               // optional: last and best checkpoints, epochs.csv, steps.csv
        if (folder.HoldsRun)
            folder.PrepareResume();                                   // continue to the step, with the bits of an unbroken run
        TrainingResult result = trainer.Fit(train, test, folder, cancellationToken); // cancelled: stops at a committed checkpoint
        Console.WriteLine(result.Evaluation!.Text);                   // accuracy 91.30% (9130/10000)
        #endregion
        return result;
    }
}
