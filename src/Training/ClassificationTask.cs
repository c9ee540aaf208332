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
    public override Evaluation Evaluate(IDataset data, int batchSize)
    {
        var confusion = Confusion(data, batchSize); // counted on the device
        long correct = confusion.Correct;
        double accuracy = correct / (double)confusion.Total;
        return new Evaluation(accuracy, $"accuracy {accuracy * 100:F2}% ({correct}/{confusion.Total})", $"accuracy {accuracy * 100:F2}%");
    }

    /// <summary>The arg-max class of every image.</summary>
    public int[] Predict(IDataset data, int batchSize) => PredictClasses(data, batchSize);
}
