using Engine.Kernels.Losses;
using Engine.Tensors;
using ILGPU;

namespace Engine.Ops.Losses;

/// <summary>
/// Softmax cross-entropy on logits <c>[N, C]</c> or <c>[N, C, H, W]</c> with int32 class targets
/// <c>[N]</c> or <c>[N, H, W]</c>, as PyTorch's <c>cross_entropy</c> with <c>reduction="mean"</c>:
/// targets equal to <c>ignoreIndex</c> (default -100) are left out; optional class weights
/// <c>[C]</c> weight each position by its target's weight, and the mean divides by the sum of those
/// weights; label smoothing <c>e</c> mixes the one-hot target with the uniform <c>1/C</c>, so each
/// position adds <c>w[t] (1 - e) nll + e / C sum_c w[c] (-log p_c)</c>. Log-sum-exp subtracts the
/// maximum, so large logits are safe. A target outside <c>[0, C)</c> makes the loss NaN (kernels
/// cannot throw); so does a batch whose every target is ignored (0 / 0, as in PyTorch).
/// </summary>
public static class CrossEntropyOp
{
    /// <summary>PyTorch's default ignore_index.</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>
    /// Writes the mean loss into <paramref name="loss"/> and the mean's divisor into <paramref name="count"/>
    /// (both scalars): the number of counted targets, or with <paramref name="classWeights"/> the sum of their weights.
    /// </summary>
    public static void Forward(Tensor logits, IntTensor targets, Tensor loss, Tensor count, int ignoreIndex = DefaultIgnoreIndex,
        Tensor? classWeights = null, float labelSmoothing = 0f)
    {
        var (channels, plane, positions) = CheckShapes("CrossEntropy", logits, targets, classWeights, labelSmoothing);
        LossCore.CheckScalar(nameof(loss), loss);
        LossCore.CheckScalar(nameof(count), count);
        var device = logits.Device;
        using var terms = Tensor.Empty(device, positions);
        using var weights = Tensor.Empty(device, positions);
        device.Kernel(LossLoaders.CrossEntropyForward)(positions, logits.View, targets.View, WeightsView(classWeights, weights), terms.View, weights.View,
            channels, plane, ignoreIndex, Launch.Flag(classWeights is not null), labelSmoothing);
        Engine.Ops.Reduction.FullSum.Run(device, weights.View, weights.Numel, count.View); // the divisor, straight into count
        LossCore.Reduce(device, terms, count, loss);
    }

    /// <summary>
    /// <c>dlogits (+)= dLoss / count * (w[t] (1 - e)(softmax - onehot(t)) + e / C (W softmax - w))</c>
    /// with <c>W</c> the sum of the class weights (ones without them); zero at ignored targets.
    /// </summary>
    public static void Backward(Tensor logits, IntTensor targets, Tensor count, Tensor dLoss, Tensor dLogits, int ignoreIndex = DefaultIgnoreIndex,
        bool accumulate = false, Tensor? classWeights = null, float labelSmoothing = 0f)
    {
        var (channels, plane, positions) = CheckShapes("CrossEntropy backward", logits, targets, classWeights, labelSmoothing);
        Check.SameShape("CrossEntropy backward", "logits gradient", dLogits.Shape, "logits", logits.Shape);
        var device = logits.Device;
        using var scale = LossCore.GradientScale(device, dLoss, count);
        device.Kernel(LossLoaders.CrossEntropyBackward)(positions, logits.View, targets.View, WeightsView(classWeights, scale), scale.View, dLogits.View,
            channels, plane, ignoreIndex, Launch.Flag(classWeights is not null), labelSmoothing, Launch.Flag(accumulate));
    }

    /// <summary>
    /// Checks class weights and label smoothing for logits with <paramref name="channels"/> classes
    /// (graphs call it when they are built): weights <c>[C]</c>, smoothing in <c>[0, 1]</c>.
    /// </summary>
    public static void CheckOptions(string op, int channels, Engine.Tensors.Shape? classWeights, float labelSmoothing)
    {
        if (classWeights is { } w && (w.Rank != 1 || w[0] != channels))
            throw new ArgumentException($"{op}: class weights must be [{channels}] for {channels} classes, got {w}.", nameof(classWeights));
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentException($"{op}: label smoothing must be in [0, 1], got {labelSmoothing}.", nameof(labelSmoothing));
    }

    // The kernels read no weight without the flag: any float view stands in.
    private static ArrayView<float> WeightsView(Tensor? classWeights, Tensor standIn) => (classWeights ?? standIn).View;

    /// <summary>The class-target shape for logits <c>[N, C, ...]</c>: <c>[N, ...]</c>.</summary>
    /// <exception cref="ArgumentException">The logits have fewer than two dimensions.</exception>
    public static Engine.Tensors.Shape TargetShape(string op, Engine.Tensors.Shape logits)
    {
        if (logits.Rank < 2)
            throw new ArgumentException($"{op}: logits must be [N, C] or [N, C, H, W], got {logits}.", nameof(logits));
        var dims = new int[logits.Rank - 1];
        dims[0] = logits[0];
        for (int d = 2; d < logits.Rank; d++)
            dims[d - 1] = logits[d];
        return new Engine.Tensors.Shape(dims);
    }

    private static (int Channels, int Plane, int Positions) CheckShapes(string op, Tensor logits, IntTensor targets, Tensor? classWeights, float labelSmoothing)
    {
        Check.SameDevice(op, logits.Device, logits, targets);
        if (classWeights is not null)
            Check.SameDevice(op, logits.Device, classWeights);
        if (logits.Shape.Rank >= 2)
            CheckOptions(op, logits.Shape[1], classWeights?.Shape, labelSmoothing);
        var s = logits.Shape;
        var expected = TargetShape(op, s);
        if (targets.Shape != expected)
            throw new ArgumentException($"{op}: targets must be {expected} for logits {s}, got {targets.Shape}.", nameof(targets));
        int plane = Check.LaunchSize(op, s.Product(2, s.Rank));
        return (s[1], plane, Check.LaunchSize(op, (long)s[0] * plane));
    }
}
