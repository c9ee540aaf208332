using Engine.Data;
using Engine.Devices;
using Engine.Graph;
using Engine.Modules;

namespace Engine.Training;

/// <summary>Image classification (ResNet): cross-entropy on logits <c>[N, classes]</c>; accuracy on held-out images.</summary>
public sealed class ClassificationTask(Module model, ComputeDevice device) : TrainingTask(model, device)
{
    /// <inheritdoc/>
    public override string Kind => "classification";

    /// <inheritdoc/>
    public override string MetricName => "accuracy";

    /// <inheritdoc/>
    public override bool HigherIsBetter => true;

    /// <inheritdoc/>
    protected override Node TrainingLoss(Node x, Node? targets) =>
        Model.Call(x).CrossEntropy(targets ?? throw new ArgumentException("Classification needs a dataset with labels; this one has none."));

    /// <inheritdoc/>
    /// <remarks>
    /// Data at several sizes (<see cref="MultiSizeDataset"/>) is evaluated at each, one size at a
    /// time; the headline is the accuracy over all of them (each image counted at every size), and
    /// <see cref="Evaluation.BySize"/> holds each size's.
    /// </remarks>
    public override Evaluation Evaluate(IDataset data, int batchSize)
    {
        if (data is not MultiSizeDataset several)
            return Accuracy(Confusion(data, batchSize)).Evaluation; // counted on the device
        var sizes = several.Sizes.Select((s, k) => ($"{s.Height}x{s.Width}", Accuracy(Confusion(several.At(k), batchSize)))).ToList();
        var all = Accuracy(sizes.Sum(s => s.Item2.Correct), sizes.Sum(s => s.Item2.Total));
        string each = string.Join(", ", sizes.Select(s => $"{s.Item1} {s.Item2.Evaluation.Headline["accuracy ".Length..]}"));
        return new Evaluation(all.Evaluation.Value, $"{all.Evaluation.Text}; {each}", $"{all.Evaluation.Headline} ({each})")
        {
            BySize = [.. sizes.Select(s => (s.Item1, s.Item2.Evaluation))],
        };
    }

    /// <inheritdoc/>
    internal override bool EvaluatesSeveralSizes => true;

    private static (Evaluation Evaluation, long Correct, long Total) Accuracy(Engine.Ops.Metrics.ConfusionMatrix confusion) => Accuracy(confusion.Correct, confusion.Total);

    private static (Evaluation Evaluation, long Correct, long Total) Accuracy(long correct, long total)
    {
        double accuracy = correct / (double)total;
        return (new Evaluation(accuracy, $"accuracy {accuracy * 100:F2}% ({correct}/{total})", $"accuracy {accuracy * 100:F2}%"), correct, total);
    }

    /// <summary>The arg-max class of every image.</summary>
    public int[] Predict(IDataset data, int batchSize) => PredictClasses(data, batchSize);
}
