using Engine.Graph;
using Engine.Optim;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Training;

/// <summary>
/// A small convolutional network trained on real data (scikit-learn's 8x8 digits, see Data/README.md)
/// through the graph executor must reach 95% accuracy on held-out images.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class DigitsTrainingTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Fact]
    public void ASmallConvNetReaches95PercentHeldOutAccuracy()
    {
        var (images, labels) = Digits.All;
        Assert.Equal(1797, labels.Length);
        var order = Enumerable.Range(0, labels.Length).OrderBy(_ => 0).ToArray();
        new Random(0).Shuffle(order);
        int[] train = order[..1437], test = order[1437..];                 // 80/20 split
        const int batch = 32, testBatch = 40;

        var model = Digits.SmallConvNet();
        model.Initialize(_device, seed: 1);

        var g = new GraphBuilder(_device, training: true);
        var x = g.Input("x", batch, 1, 8, 8);
        var y = g.IntInput("y", batch);
        var loss = model.Call(x).CrossEntropy(y);
        using var step = g.Compile(loss);

        var eval = new GraphBuilder(_device, training: false);
        var ex = eval.Input("x", testBatch, 1, 8, 8);
        var logits = model.Call(ex);
        using var predict = eval.CompileInference(logits);

        using var optimizer = new Adam(model.NamedParameters().Select(p => p.Parameter), 3e-3f);
        var schedule = new CosineAnnealingLR(optimizer, totalSteps: 12);
        var xs = new float[batch * 64];
        var ys = new int[batch];
        var random = new Random(2);
        for (int epoch = 0; epoch < 12; epoch++)
        {
            random.Shuffle(train);
            for (int start = 0; start + batch <= train.Length; start += batch)
            {
                for (int i = 0; i < batch; i++)
                {
                    int s = train[start + i];
                    Array.Copy(images, s * 64, xs, i * 64, 64);
                    ys[i] = labels[s];
                }
                step.Value(x).CopyFrom(xs);
                step.IntValue(y).CopyFrom(ys);
                optimizer.ZeroGrad();
                step.Forward();
                step.Backward();
                optimizer.Step();
            }
            schedule.Step();
        }

        int correct = 0;
        var tx = new float[testBatch * 64];
        for (int start = 0; start < test.Length; start += testBatch)
        {
            for (int i = 0; i < testBatch; i++)
                Array.Copy(images, test[start + i] * 64, tx, i * 64, 64);
            predict.Value(ex).CopyFrom(tx);
            predict.Forward();
            float[] scores = predict.Value(logits).ToArray();
            for (int i = 0; i < testBatch; i++)
            {
                int best = Enumerable.Range(0, 10).MaxBy(c => scores[i * 10 + c]);
                correct += best == labels[test[start + i]] ? 1 : 0;
            }
        }
        double accuracy = correct / (double)test.Length;
        Assert.True(accuracy >= 0.95, $"held-out accuracy {accuracy:P1} ({correct}/{test.Length})");
        ErrorLog.Record("digits-accuracy", accuracy);
        model.Release();
    }
}
