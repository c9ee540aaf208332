using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Engine.Bench.Serving;

/// <summary>
/// An ONNX Runtime 1.31.1 session on the CPU execution provider, as a .NET service would use it:
/// one session shared by every caller (its <c>Run</c> is thread safe), graph optimisations on,
/// intra-op threads as many as the cores.
/// </summary>
internal sealed class OrtTarget : IServingTarget
{
    private readonly InferenceSession _session;
    private readonly int[] _image;

    public OrtTarget(byte[] model, int[] image)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = Environment.ProcessorCount,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        _session = new InferenceSession(model, options);
        _image = image;
    }

    public string Name => $"ONNX Runtime {typeof(InferenceSession).Assembly.GetName().Version?.ToString(3)} (CPU, {Environment.ProcessorCount} threads)";

    public float[] Logits(float[] images, int count)
    {
        var tensor = new DenseTensor<float>(images, [count, .. _image]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
        return results[0].AsTensor<float>().ToArray();
    }

    public long Runs => -1;

    public void Dispose() => _session.Dispose();
}
