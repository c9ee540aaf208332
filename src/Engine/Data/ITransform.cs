using Engine.Ops.Random;

namespace Engine.Data;

/// <summary>
/// A step of a <see cref="DatasetLoader"/>'s pipeline on one image <c>[C, H, W]</c>, as
/// torchvision's transforms on tensors. A random transform draws only from the generator it is
/// given, which the loader keys by (seed, epoch, item index): results do not depend on the order or
/// the thread items are read in.
/// </summary>
public interface ITransform
{
    /// <summary>The shape of the output for an input of <c>[channels, height, width]</c>.</summary>
    /// <exception cref="ArgumentException">An input this transform cannot take, named.</exception>
    (int Channels, int Height, int Width) OutputShape(int channels, int height, int width);

    /// <summary>Transforms <paramref name="input"/> <c>[C, H, W]</c> into <paramref name="output"/> (shaped by <see cref="OutputShape"/>).</summary>
    void Apply(ReadOnlySpan<float> input, int channels, int height, int width, Span<float> output, PhiloxRandom random);
}
