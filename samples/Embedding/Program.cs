// Embedding the engine: a small ResNet learns to tell horizontal from vertical stripes; a
// predictor serves it to concurrent callers with mixed batch sizes; its weights, saved as a state
// dict, start a three-class model with a new head (the mismatched head skipped) that is fine-tuned
// on a folder of PNGs streamed through transforms; everything is disposed and the device's memory
// is back where it started. Everything comes from the IlgpuEngine packages.
using Engine.Checkpoints;
using Engine.Data;
using Engine.Devices;
using Engine.Inference;
using Engine.Models;
using Engine.Tensors;
using Engine.Training;
using StbImageWriteSharp;

using var device = ComputeDevice.OpenDefault(); // CUDA, else OpenCL, else ILGPU's CPU accelerator
Console.WriteLine($"device: {device.Info.Spec} ({device.Info.Name})");
long startBytes = device.LiveBytes;
string work = Directory.CreateTempSubdirectory("engine-sample-").FullName;
int status;
try
{
    status = await Run(device, work);
}
finally
{
    Directory.Delete(work, recursive: true);
}

// Every model, task, predictor and optimiser is disposed by now: the device's memory is back to the start.
device.ReleaseCachedMemory();
Console.WriteLine($"device memory: {device.LiveBytes} bytes live, {startBytes} at the start");
return status == 0 && device.LiveBytes == startBytes ? 0 : 1; // CI runs this sample

static async Task<int> Run(ComputeDevice device, string work)
{
    var (images, labels) = Stripes.Make(640, seed: 1, classes: 2);
    var train = new ImageDataset(images, 640, channels: 1, height: 16, width: 16, classes: 2, labels: labels);
    var (testImages, truth) = Stripes.Make(200, seed: 2, classes: 2);
    var test = new ImageDataset(testImages, 200, channels: 1, height: 16, width: 16, classes: 2, labels: truth);

    // Training: the library's loop (AdamW with a cosine schedule, an evaluation after every epoch);
    // the model is initialised from the seed. With a RunFolder it would also keep resumable checkpoints.
    using var model = ResNet.ResNet18(classes: 2, inChannels: 1, smallStem: true, width: 4);
    using (var task = new ClassificationTask(model, device))
    {
        var trainer = new Trainer(task, new TrainingOptions { Epochs = 3, BatchSize = 32, LearningRate = 3e-3f, WeightDecay = 1e-4f, Seed = 1, ClipGradNorm = 5f });
        trainer.Callbacks.Add(new EpochLine());
        var result = trainer.Fit(train, test);
        Console.WriteLine($"trained: {result.Evaluation!.Text}");
    }

    // Serving: callers on several threads with batches of 1 to 64 images, each answered as if alone.
    using (var predictor = model.CreatePredictor(device, new Shape(1, 16, 16)))
    {
        int[] sizes = [1, 3, 64, 7, 16, 1, 32, 5];
        var requests = sizes.Select((size, r) => Task.Run(async () =>
        {
            int first = r * 10;
            return (first, size, await predictor.ClassesAsync(testImages.AsMemory(first * 256, size * 256)));
        })).ToArray();
        int served = 0, agree = 0;
        foreach (var (first, size, classes) in await Task.WhenAll(requests))
        {
            int[] alone = predictor.Classes(testImages.AsSpan(first * 256, size * 256));
            served += size;
            agree += classes.SequenceEqual(alone) ? size : 0;
        }
        int correct = predictor.Classes(testImages).Zip(truth).Count(p => p.First == p.Second);
        Console.WriteLine($"served {served} images in {sizes.Length} concurrent requests of 1 to 64, {agree} as a request of their own; held-out accuracy {correct / 2.0:F1}% ({correct}/200)");
        if (agree != served || correct < 180)
            return 1; // it must have learnt the task and served it alike
    }

    // Fine-tuning: the weights as a state dict, loaded into a model with a three-class head; the
    // two-class head is reported as mismatched and keeps its fresh initialisation.
    string weights = Path.Combine(work, "stripes.safetensors");
    StateDict.Save(model, weights);
    using var tuned = ResNet.ResNet18(classes: 3, inChannels: 1, smallStem: true, width: 4);
    tuned.Initialize(device, seed: 2);
    var report = StateDict.Load(tuned, weights, ignoreMismatchedSizes: true);
    Console.WriteLine($"state dict into a three-class model: {report}");

    // A folder of PNGs, one folder per class as torchvision's ImageFolder, streamed by the trainer a
    // batch at a time through a random crop and flip (drawn anew each epoch for each image) and
    // normalisation; the held-out images, in memory, through the same normalisation.
    string folder = Stripes.WriteFolder(Path.Combine(work, "images"), 240, seed: 3);
    var tuneSet = new TransformedDataset(new ImageFolderDataset(folder, 1, 16, 16),
        [new RandomCrop(16, 16, padding: 2), new RandomHorizontalFlip(), new Normalize([0.5f], [0.5f])]);
    var (heldImages, heldLabels) = Stripes.Make(150, seed: 5, classes: 3);
    var held = new TransformedDataset(new ImageDataset(heldImages, 150, 1, 16, 16, classes: 3, labels: heldLabels), [new Normalize([0.5f], [0.5f])]);
    using (var task = new ClassificationTask(tuned, device))
    {
        var trainer = new Trainer(task, new TrainingOptions { Epochs = 3, BatchSize = 24, LearningRate = 3e-3f, Seed = 6, Accumulate = 2, RestoreBestWeights = true });
        trainer.Callbacks.Add(new EpochLine());
        var result = trainer.Fit(tuneSet, held);
        Console.WriteLine($"fine-tuned on {tuneSet.Count} images streamed from PNGs: {result.Evaluation!.Text}{(result.RestoredEpoch is int e ? $" (epoch {e}'s weights restored)" : "")}");
    }
    return 0;
}

/// <summary>A callback: one line per epoch.</summary>
internal sealed class EpochLine : TrainingCallback
{
    public override void OnEpochEnd(EpochEnd epoch) =>
        Console.WriteLine($"epoch {epoch.Record.Epoch}: loss {epoch.Record.TrainLoss:F4}, test {epoch.Evaluation.Text}");
}

/// <summary>16x16 stripe images: horizontal (label 0), vertical (1) or diagonal (2), random period 2-5 and phase, noise.</summary>
internal static class Stripes
{
    public static (float[] Images, int[] Labels) Make(int count, int seed, int classes)
    {
        var random = new Random(seed);
        var images = new float[count * 16 * 16];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = random.Next(classes);
            int period = random.Next(2, 6), phase = random.Next(period);
            for (int r = 0; r < 16; r++)
                for (int c = 0; c < 16; c++)
                {
                    int along = labels[n] switch { 0 => r, 1 => c, _ => r + c };
                    float stripe = (along + phase) % period < period / 2.0 ? 1f : 0f;
                    images[(n * 16 + r) * 16 + c] = Math.Clamp(stripe + 0.3f * (float)(random.NextDouble() - 0.5), 0f, 1f);
                }
        }
        return (images, labels);
    }

    /// <summary>Writes <paramref name="count"/> three-class stripe images as grey PNGs into <c>root/{0-horizontal,1-vertical,2-diagonal}</c>.</summary>
    public static string WriteFolder(string root, int count, int seed)
    {
        string[] names = ["0-horizontal", "1-vertical", "2-diagonal"]; // ImageFolder numbers classes in sorted order
        var (images, labels) = Make(count, seed, classes: 3);
        for (int n = 0; n < count; n++)
        {
            string path = Path.Combine(root, names[labels[n]], $"{n:D4}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            byte[] pixels = [.. images.AsSpan(n * 256, 256).ToArray().Select(v => (byte)Math.Round(v * 255))];
            using var file = File.Create(path);
            new ImageWriter().WritePng(pixels, 16, 16, ColorComponents.Grey, file);
        }
        return root;
    }
}
