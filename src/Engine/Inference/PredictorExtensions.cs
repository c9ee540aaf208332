using Engine.Devices;
using Engine.Modules;
using Engine.Tensors;

namespace Engine.Inference;

/// <summary>Makes a <see cref="Predictor"/> of a model.</summary>
public static class PredictorExtensions
{
    /// <summary>
    /// An inference session of <paramref name="model"/> on <paramref name="device"/> for images of
    /// <paramref name="imageShape"/> (<c>[C, H, W]</c>). The model must hold its weights on that device
    /// (initialised or loaded); that is checked now, naming the first tensor that does not.
    /// </summary>
    /// <exception cref="InvalidOperationException">A model released, not initialised or on another device, named.</exception>
    /// <exception cref="ArgumentException">Options out of range, or a model whose output is not <c>[N, C, ...]</c>.</exception>
    public static Predictor CreatePredictor(this Module model, ComputeDevice device, Shape imageShape, PredictorOptions? options = null) =>
        new(model, device, imageShape, options ?? new PredictorOptions());
}
