namespace Engine.Ops.Metrics;

/// <summary>
/// Counts of (true class, predicted class) pairs over a test set, and the metrics they give:
/// accuracy (pixel accuracy for a segmenter), per-class IoU and its mean over the classes that
/// occur, and per-class Dice.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>An empty matrix for <paramref name="classes"/> classes.</summary>
    public ConfusionMatrix(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Classes = classes;
        _counts = new long[classes * classes];
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Positions whose true class is <paramref name="truth"/> and predicted class <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth * Classes + predicted];

    /// <summary>Every counted position.</summary>
    public long Total => _counts.Sum();

    /// <summary>Adds counts laid out as <c>[truth * C + predicted]</c> (as the device accumulates them).</summary>
    public void Add(ReadOnlySpan<int> counts)
    {
        if (counts.Length != _counts.Length)
            throw new ArgumentException($"{counts.Length} counts for a {Classes}x{Classes} matrix.", nameof(counts));
        for (int i = 0; i < counts.Length; i++)
            _counts[i] += counts[i];
    }

    /// <summary>Adds counts laid out as <c>[truth * C + predicted]</c> (another matrix's, e.g. another rank's).</summary>
    public void Add(ReadOnlySpan<long> counts)
    {
        if (counts.Length != _counts.Length)
            throw new ArgumentException($"{counts.Length} counts for a {Classes}x{Classes} matrix.", nameof(counts));
        for (int i = 0; i < counts.Length; i++)
            _counts[i] += counts[i];
    }

    /// <summary>The counts laid out as <c>[truth * C + predicted]</c>.</summary>
    public long[] Counts() => (long[])_counts.Clone();

    /// <summary>Correct positions.</summary>
    public long Correct => Enumerable.Range(0, Classes).Sum(c => this[c, c]);

    /// <summary>Correct positions over all positions (NaN when none were counted).</summary>
    public double Accuracy => Total == 0 ? double.NaN : Correct / (double)Total;

    /// <summary>Intersection over union of class <paramref name="c"/>: <c>TP / (TP + FP + FN)</c>; NaN when the class is neither true nor predicted anywhere.</summary>
    public double IoU(int c)
    {
        long tp = this[c, c], predicted = Column(c), truth = Row(c);
        long union = predicted + truth - tp;
        return union == 0 ? double.NaN : tp / (double)union;
    }

    /// <summary>Mean IoU over the classes that are true or predicted somewhere.</summary>
    public double MeanIoU => Enumerable.Range(0, Classes).Select(IoU).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Average();

    /// <summary>Dice of class <paramref name="c"/>: <c>2 TP / (|predicted| + |true|)</c>; 1 when the class is neither true nor predicted anywhere.</summary>
    public double Dice(int c)
    {
        long sizes = Column(c) + Row(c);
        return sizes == 0 ? 1 : 2.0 * this[c, c] / sizes;
    }

    /// <summary>The confusion of predicted against true class maps (host arrays of equal length); classes outside [0, classes) are not counted.</summary>
    public static ConfusionMatrix Of(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth, int classes)
    {
        if (predicted.Length != truth.Length)
            throw new ArgumentException($"ConfusionMatrix: {predicted.Length} predictions against {truth.Length} true classes.");
        var counts = new long[classes * classes];
        for (int i = 0; i < predicted.Length; i++)
        {
            if ((uint)predicted[i] < (uint)classes && (uint)truth[i] < (uint)classes)
                counts[truth[i] * classes + predicted[i]]++;
        }
        var matrix = new ConfusionMatrix(classes);
        matrix.Add(counts);
        return matrix;
    }

    /// <summary>Mean Dice over the classes that are true or predicted somewhere (NaN when none are).</summary>
    public double MeanDice => Enumerable.Range(0, Classes).Where(c => Row(c) + Column(c) > 0).Select(Dice).DefaultIfEmpty(double.NaN).Average();

    /// <summary>
    /// The segmentation report. With at most two classes: the foreground Dice (class 1, or class 0
    /// alone), then per-class IoU, mean IoU and pixel accuracy, e.g. <c>dice 0.9123 (IoU per class
    /// 0.9950 0.8390, mean IoU 0.9170, pixel accuracy 99.52%)</c>. With more: the mean IoU first,
    /// then per-class IoU, pixel accuracy and mean Dice, e.g. <c>mean IoU 0.9012 (IoU per class
    /// 0.9981 0.8830 ..., pixel accuracy 99.61%, mean Dice 0.9470)</c>.
    /// </summary>
    public string SegmentationReport()
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        string perClass = string.Join(" ", Enumerable.Range(0, Classes).Select(c => IoU(c).ToString("F4", invariant)));
        return Classes > 2
            ? string.Create(invariant, $"mean IoU {MeanIoU:F4} (IoU per class {perClass}, pixel accuracy {Accuracy * 100:F2}%, mean Dice {MeanDice:F4})")
            : string.Create(invariant, $"dice {Dice(Classes > 1 ? 1 : 0):F4} (IoU per class {perClass}, mean IoU {MeanIoU:F4}, pixel accuracy {Accuracy * 100:F2}%)");
    }

    private long Row(int truth) => Enumerable.Range(0, Classes).Sum(p => this[truth, p]);

    private long Column(int predicted) => Enumerable.Range(0, Classes).Sum(t => this[t, predicted]);
}
