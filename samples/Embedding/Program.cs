// Embedding the engine: a small ResNet learns to tell horizontal from vertical stripes, then
// predicts held-out images. Everything comes from the IlgpuEngine packages.
using Engine.Data;
using Engine.Devices;
using Engine.Models;
using Engine.Training;

using var device = ComputeDevice.OpenDefault(); // CUDA, else OpenCL, else ILGPU's CPU accelerator
Console.WriteLine($"device: {device.Info.Spec} ({device.Info.Name})");

var (images, labels) = Stripes.Make(640, seed: 1);
var train = new ImageDataset(images, 640, channels: 1, height: 16, width: 16, classes: 2, labels: labels);
var (testImages, truth) = Stripes.Make(200, seed: 2);
var test = new ImageDataset(testImages, 200, channels: 1, height: 16, width: 16, classes: 2, labels: truth);

// Training: the library's loop (AdamW with a cosine schedule, an evaluation after every epoch);
// the model is initialised from the seed. With a RunFolder it would also keep resumable checkpoints.
var model = ResNet.ResNet18(classes: 2, inChannels: 1, smallStem: true, width: 4);
using var task = new ClassificationTask(model, device);
var trainer = new Trainer(task, new TrainingOptions { Epochs = 3, BatchSize = 32, LearningRate = 3e-3f, WeightDecay = 1e-4f, Seed = 1 });
trainer.Callbacks.Add(new EpochLine());
var result = trainer.Fit(train, test);

// Prediction on the held-out images (evaluation mode: batch norm uses its running statistics).
int[] predicted = task.Predict(test, batchSize: 100);
int correct = predicted.Zip(truth).Count(p => p.First == p.Second);
Console.WriteLine($"held-out accuracy {correct / 2.0:F1}% ({correct}/200, the trainer's evaluation: {result.Evaluation!.Text}); first image predicted {(predicted[0] == 1 ? "vertical" : "horizontal")}, truly {(truth[0] == 1 ? "vertical" : "horizontal")}");
model.Release();
return correct >= 180 ? 0 : 1; // CI runs this sample: it must have learnt the task

/// <summary>A callback: one line per epoch.</summary>
internal sealed class EpochLine : TrainingCallback
{
    public override void OnEpochEnd(EpochEnd epoch) =>
        Console.WriteLine($"epoch {epoch.Record.Epoch}: loss {epoch.Record.TrainLoss:F4}, test {epoch.Evaluation.Text}");
}

/// <summary>16x16 stripe images: horizontal (label 0) or vertical (1), random period 2-5 and phase, noise.</summary>
internal static class Stripes
{
    public static (float[] Images, int[] Labels) Make(int count, int seed)
    {
        var random = new Random(seed);
        var images = new float[count * 16 * 16];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = random.Next(2);
            int period = random.Next(2, 6), phase = random.Next(period);
            for (int r = 0; r < 16; r++)
                for (int c = 0; c < 16; c++)
                {
                    int along = labels[n] == 1 ? c : r;
                    float stripe = (along + phase) % period < period / 2.0 ? 1f : 0f;
                    images[(n * 16 + r) * 16 + c] = stripe + 0.3f * (float)(random.NextDouble() - 0.5);
                }
        }
        return (images, labels);
    }
}
