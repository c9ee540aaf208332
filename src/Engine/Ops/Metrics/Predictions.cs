using Engine.Kernels.Metrics;
using Engine.Tensors;
using ILGPU.Runtime;

namespace Engine.Ops.Metrics;

/// <summary>
/// Class predictions from logits on the device: the arg-max per image (<c>[N, C]</c>) or per pixel
/// (<c>[N, C, H, W]</c>), and confusion counts accumulated over batches, so an evaluation reads
/// back one small matrix at its end instead of every batch's logits.
/// </summary>
public static class Predictions
{
    /// <summary>Writes the arg-max class of every position of <paramref name="logits"/> into <paramref name="predicted"/> (<c>[N]</c> or <c>[N, H, W]</c>).</summary>
    /// <exception cref="ArgumentException">Shapes that do not match, named.</exception>
    public static void ArgMax(Tensor logits, IntTensor predicted)
    {
        var (n, classes, positions) = Layout(nameof(ArgMax), logits, predicted.Shape, "predicted");
        Check.SameDevice(nameof(ArgMax), logits.Device, logits, predicted);
        logits.Device.Kernel(ArgMaxLoaders.ArgMax)(Check.LaunchSize(nameof(ArgMax), (long)n * positions), logits.View, predicted.View, classes, positions);
    }

    /// <summary>
    /// Adds the batch's (true, predicted) pairs to <paramref name="counts"/> (<c>[C, C]</c>, row = true
    /// class); targets outside <c>[0, C)</c> (an ignore index) are not counted.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not match, named.</exception>
    public static void AccumulateConfusion(Tensor logits, IntTensor targets, IntTensor counts)
    {
        var (n, classes, positions) = Layout(nameof(AccumulateConfusion), logits, targets.Shape, "targets");
        Check.SameDevice(nameof(AccumulateConfusion), logits.Device, logits, targets, counts);
        if (counts.Shape != new Shape(classes, classes))
            throw new ArgumentException($"{nameof(AccumulateConfusion)}: counts must be [{classes}, {classes}] for logits {logits.Shape}, got {counts.Shape}.", nameof(counts));
        logits.Device.Kernel(ArgMaxLoaders.ConfusionCounts)(Check.LaunchSize(nameof(AccumulateConfusion), (long)n * positions), logits.View, targets.View, counts.View, classes, positions);
    }

    private static (int N, int Classes, int Positions) Layout(string op, Tensor logits, Shape perPosition, string name)
    {
        var s = logits.Shape;
        Shape expected = s.Rank switch
        {
            2 => new Shape(s[0]),
            4 => new Shape(s[0], s[2], s[3]),
            _ => throw new ArgumentException($"{op}: logits must be [N, C] or [N, C, H, W], got {s}.", nameof(logits)),
        };
        if (perPosition != expected)
            throw new ArgumentException($"{op}: {name} must be {expected} for logits {s}, got {perPosition}.", name);
        return (s[0], s[1], s.Rank == 4 ? s[2] * s[3] : 1);
    }
}
