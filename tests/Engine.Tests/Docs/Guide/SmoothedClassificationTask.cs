using Engine.Data;
using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Training;

namespace Engine.Tests.Docs.Guide;

#region guide
/// <summary>
/// Classification trained on cross-entropy with label smoothing (the true class gets 1 - s + s/K
/// of the target, every other class s/K), judged by balanced accuracy: the mean over the classes
/// of the share of their images classified right, which a class that dominates the test set
/// cannot inflate.
/// </summary>
public sealed class SmoothedClassificationTask(Module model, ComputeDevice device, float smoothing = 0.1f)
    : TrainingTask(model, device)
{
    public override string Kind => "smoothed-classification";   // recorded in checkpoints
    public override string MetricName => "balanced_accuracy";
    public override bool HigherIsBetter => true;                // for best checkpoints and early stopping

    // Called once per run to build the training graph: x [N, C, H, W] and targets [N] (int32) are
    // its inputs, the returned scalar its loss; the trainer compiles it with its backward pass.
    protected override Node TrainingLoss(Node x, Node? targets) =>
        Model.Call(x).CrossEntropy(targets ?? throw new ArgumentException("This task needs labelled images."),
            labelSmoothing: smoothing);

    // Called after every epoch with the test set. Confusion runs the model in evaluation mode and
    // counts [true class, arg-max class] pairs on the device; only the K x K counts come back.
    public override Evaluation Evaluate(IDataset data, int batchSize)
    {
        var confusion = Confusion(data, batchSize);
        var recalls = new List<double>();
        for (int c = 0; c < confusion.Classes; c++)
        {
            long images = Enumerable.Range(0, confusion.Classes).Sum(p => confusion[c, p]);
            if (images > 0)                                     // classes absent from the test set do not count
                recalls.Add(confusion[c, c] / (double)images);
        }
        double balanced = recalls.Average();
        return new Evaluation(balanced,
            $"balanced accuracy {balanced * 100:F2}% (accuracy {confusion.Accuracy * 100:F2}%, {confusion.Correct}/{confusion.Total})",
            $"balanced accuracy {balanced * 100:F2}%");
    }
}
#endregion
