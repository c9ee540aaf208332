using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Engine.Tests.Infrastructure;

/// <summary>What the ONNX tests share: running an exported model in ONNX Runtime, and the agreement they require.</summary>
internal static class OnnxRuntimeRun
{
    /// <summary>Runs <paramref name="input"/> of <paramref name="shape"/> as the model's "input"; returns its first output's dimensions and values.</summary>
    public static (int[] Shape, float[] Values) Run(InferenceSession session, float[] input, int[] shape)
    {
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(input, shape))]);
        var output = results[0].AsTensor<float>();
        return (output.Dimensions.ToArray(), output.ToArray());
    }

    /// <summary>Fails unless the largest difference is within 1e-4 of the largest engine output (relative 1e-4).</summary>
    public static void AssertAlike(float[] engine, float[] onnxRuntime, string what)
    {
        Assert.Equal(engine.Length, onnxRuntime.Length);
        double scale = engine.Max(v => Math.Abs(v));
        double worst = engine.Zip(onnxRuntime, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(scale > 0 && worst <= 1e-4 * scale, $"{what}: largest difference {worst:G3} against a largest output {scale:G3}");
    }
}
