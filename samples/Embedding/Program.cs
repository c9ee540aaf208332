// Embedding the engine: a small ResNet learns to tell horizontal from vertical stripes, then
// predicts held-out images. Everything comes from the IlgpuEngine packages.
using Engine.Devices;
using Engine.Graph;
using Engine.Models;
using Engine.Optim;

const int Side = 16, Batch = 32, Epochs = 3;
using var device = ComputeDevice.OpenDefault(); // CUDA, else OpenCL, else ILGPU's CPU accelerator
Console.WriteLine($"device: {device.Info.Spec} ({device.Info.Name})");

var model = ResNet.ResNet18(classes: 2, inChannels: 1, smallStem: true, width: 4);
model.Initialize(device, seed: 1);
var (images, labels) = Stripes.Make(640, seed: 1);

// Training: one compiled graph, forward and backward; AdamW with a cosine schedule.
var g = new GraphBuilder(device);
var x = g.Input("x", Batch, 1, Side, Side);
var y = g.IntInput("y", Batch);
var loss = model.Call(x).CrossEntropy(y);
using var step = g.Compile(loss);
using var adamw = new AdamW(model.NamedParameters().Select(p => p.Parameter), 3e-3f, weightDecay: 1e-4f);
int steps = images.Length / (Side * Side) / Batch;
var schedule = new CosineAnnealingLR(adamw, Epochs * steps);
for (int epoch = 1; epoch <= Epochs; epoch++)
{
    double sum = 0;
    for (int b = 0; b < steps; b++)
    {
        step.Value(x).CopyFrom(images.AsSpan(b * Batch * Side * Side, Batch * Side * Side));
        step.IntValue(y).CopyFrom(labels.AsSpan(b * Batch, Batch));
        adamw.ZeroGrad();
        step.Forward();
        step.Backward();
        adamw.Step();
        schedule.Step();
        sum += step.Value(loss).ToArray()[0];
    }
    Console.WriteLine($"epoch {epoch}: loss {sum / steps:F4}");
}

// Prediction on held-out images: an inference graph (batch norm uses its running statistics).
var (test, truth) = Stripes.Make(200, seed: 2);
var eg = new GraphBuilder(device, training: false);
var ex = eg.Input("x", 200, 1, Side, Side);
var logits = model.Call(ex);
using var predict = eg.CompileInference(logits);
predict.Value(ex).CopyFrom(test);
predict.Forward();
float[] scores = predict.Value(logits).ToArray();
int correct = Enumerable.Range(0, 200).Count(i => (scores[2 * i + 1] > scores[2 * i] ? 1 : 0) == truth[i]);
Console.WriteLine($"held-out accuracy {correct / 2.0:F1}% ({correct}/200); first image predicted {(scores[1] > scores[0] ? "vertical" : "horizontal")}, truly {(truth[0] == 1 ? "vertical" : "horizontal")}");
model.Release();
return correct >= 180 ? 0 : 1; // CI runs this sample: it must have learnt the task

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
