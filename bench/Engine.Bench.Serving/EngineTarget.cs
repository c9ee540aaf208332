using Engine.Devices;
using Engine.Inference;
using Engine.Modules;
using Engine.Tensors;

namespace Engine.Bench.Serving;

/// <summary>The engine's <see cref="Predictor"/> (requests that wait together run as one batch).</summary>
internal sealed class EngineTarget(Module model, ComputeDevice device, Shape image, int maxBatch) : IServingTarget
{
    private readonly Predictor _predictor = model.CreatePredictor(device, image, new PredictorOptions { MaxBatchSize = maxBatch });

    public string Name => $"engine ({device.Name})";

    public float[] Logits(float[] images, int count) => _predictor.Logits(images);

    public long Runs => _predictor.RunCount;

    public void Dispose() => _predictor.Dispose();
}
