using Engine.Data;
using Engine.Devices;
using Engine.Graph;
using Engine.Modules;

namespace Engine.Training;

/// <summary>
/// Semantic segmentation (U-Net, FCN, DeepLabV3, PSPNet, SegNet, DeconvNet): per-pixel cross-entropy on logits
/// <c>[N, classes, H, W]</c>. With two classes it is judged by the Dice coefficient of the
/// foreground (class 1) over all held-out pixels, <c>2 |P ∩ T| / (|P| + |T|)</c>; with more, by
/// the mean IoU over the classes present. Per-class IoU, mean IoU and pixel accuracy are reported
/// beside it, all from one confusion matrix counted on the device.
/// </summary>
/// <param name="model">The network: images to logits.</param>
/// <param name="device">Where it runs.</param>
/// <param name="classes">The model's classes: 2 picks the foreground Dice as the metric, more the mean IoU.</param>
public sealed class SegmentationTask(Module model, ComputeDevice device, int classes = 2) : TrainingTask(model, device)
{
    private readonly bool _meanIoU = classes > 2;

    /// <inheritdoc/>
    public override string Kind => "segmentation";

    /// <inheritdoc/>
    public override string MetricName => _meanIoU ? "miou" : "dice";

    /// <inheritdoc/>
    public override bool HigherIsBetter => true;

    /// <inheritdoc/>
    protected override Node TrainingLoss(Node x, Node? targets)
    {
        if (targets is null || targets.Shape.Rank != 3)
            throw new ArgumentException("Segmentation needs a dataset with masks; this one has none (a streamed dataset gives labels only: masks train from an ImageDataset).");
        var logits = Model.Call(x);
        // Refused here, in the data's terms, before the loss would refuse the masks' shape in its own.
        if (logits.Shape.Rank == 4 && (logits.Shape[2] != x.Shape[2] || logits.Shape[3] != x.Shape[3]))
            throw new ArgumentException($"The model maps {x.Shape[2]}x{x.Shape[3]} images to {logits.Shape[2]}x{logits.Shape[3]} masks: train it on images of a side it keeps (for a U-Net or SegNet, a multiple of 2 to the power of its depth).");
        return logits.CrossEntropy(targets);
    }

    /// <inheritdoc/>
    public override Evaluation Evaluate(IDataset data, int batchSize)
    {
        if (data is not ImageDataset { Masks: not null })
            throw new ArgumentException("Segmentation is evaluated against masks; this dataset has none (a streamed dataset gives labels only: masks come in an ImageDataset).");
        var confusion = Confusion(data, batchSize, CheckSize(data)); // counted on the device
        if (_meanIoU)
        {
            double miou = confusion.MeanIoU;
            return new Evaluation(miou, $"{confusion.SegmentationReport()} on {data.Count} images", $"miou {miou:F4}");
        }
        double dice = confusion.Classes > 1 ? confusion.Dice(1) : 1;
        return new Evaluation(dice, $"{confusion.SegmentationReport()} on {data.Count} slices", $"dice {dice:F4}");
    }

    /// <summary>The arg-max class of every pixel, <c>[N, H, W]</c>.</summary>
    public int[] Predict(IDataset data, int batchSize) => PredictClasses(data, batchSize, CheckSize(data));

    private static Action<Node> CheckSize(IDataset data) => logits =>
    {
        if (logits.Shape[2] != data.Height || logits.Shape[3] != data.Width)
            throw new ArgumentException($"The model maps {data.Height}x{data.Width} images to {logits.Shape[2]}x{logits.Shape[3]} masks; segmentation needs padded convolutions.");
    };
}
