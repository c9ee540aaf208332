using ILGPU;

namespace Engine.Kernels.Metrics;

/// <summary>
/// Predictions and their counts on the device, so an evaluation reads back a class per position
/// or a confusion matrix rather than every logit. The arg-max is the first class with the largest
/// score (a NaN score is never larger, as on the host).
/// </summary>
public static class ArgMaxKernels
{
    /// <summary><c>predicted[n, p] = argmax_c logits[n, c, p]</c> for logits <c>[N, C, positions]</c>; one work-item per position.</summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index <c>n * positions + p</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="logits">Scores <c>[N, C, positions]</c>.</param>
    /// <param name="predicted">Classes <c>[N, positions]</c>.</param>
    /// <param name="classes">C.</param>
    /// <param name="positions">Positions per image (1 for a classifier, H * W for a segmenter).</param>
    [Loader("ArgMax")]
    public static void ArgMax(Index1D thread, WorkRange work, ArrayView<float> logits, ArrayView<int> predicted, int classes, int positions)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
            predicted[element] = Best(logits, element, classes, positions);
    }

    /// <summary>
    /// Adds each position's (true class, predicted class) to <c>counts[t * C + p]</c>: the confusion
    /// matrix of a batch, accumulated over batches. Integer atomic additions: the counts are exact
    /// whatever the order. Targets outside <c>[0, C)</c> are not counted.
    /// </summary>
    /// <param name="thread">The work-item; it handles the elements of <paramref name="work"/>, each as index <c>n * positions + p</c>.</param>
    /// <param name="work">The split of the elements over work-items.</param>
    /// <param name="logits">Scores <c>[N, C, positions]</c>.</param>
    /// <param name="targets">True classes <c>[N, positions]</c>.</param>
    /// <param name="counts">Confusion counts <c>[C, C]</c>, row = true class.</param>
    /// <param name="classes">C.</param>
    /// <param name="positions">Positions per image.</param>
    [Loader("ConfusionCounts")]
    public static void ConfusionCounts(Index1D thread, WorkRange work, ArrayView<float> logits, ArrayView<int> targets, ArrayView<int> counts, int classes, int positions)
    {
        for (int element = work.Begin(thread); element < work.End(thread); element++)
        {
            int truth = targets[element];
            if (truth < 0 || truth >= classes)
                continue;
            Atomic.Add(ref counts[truth * classes + Best(logits, element, classes, positions)], 1);
        }
    }

    private static int Best(ArrayView<float> logits, int element, int classes, int positions)
    {
        int n = element / positions;
        int p = element - n * positions;
        long at = (long)n * classes * positions + p;
        int best = 0;
        float top = logits[at];
        for (int c = 1; c < classes; c++)
        {
            float v = logits[at + (long)c * positions];
            if (v > top)
            {
                top = v;
                best = c;
            }
        }
        return best;
    }
}
