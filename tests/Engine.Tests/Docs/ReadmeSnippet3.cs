using Engine.Checkpoints;
using Engine.Devices;
using Engine.Graph;
using Engine.Models;

namespace Engine.Tests.Docs;

/// <summary>The README's C# snippet 3, word for word between the region marks (<see cref="ReadmeSnippetTests"/>), compiled with only the README's usings.</summary>
internal static class ReadmeSnippet3
{
    internal static float[] Run(float[] images)
    {
        #region readme
        using var device = ComputeDevice.OpenDefault();       // CUDA, else OpenCL, else the CPU accelerator
        var model = ResNet.ResNet18(classes: 10, inChannels: 1, smallStem: true, width: 16);
        model.Initialize(device);
        StateDict.Load(model, "runs/resnet-fashion/best.safetensors");    // or a PyTorch state dict

        var g = new GraphBuilder(device, training: false);    // evaluation mode: running BatchNorm statistics
        var x = g.Input("x", 8, 1, 28, 28);
        var logits = model.Call(x);
        using var run = g.CompileInference(logits);           // memory planned once, reused every call
        run.Value(x).CopyFrom(images);                        // float[8 * 28 * 28], NCHW
        run.Forward();
        float[] scores = run.Value(logits).ToArray();         // [8, 10]
        model.Release();                                      // device memory back, deterministically
        #endregion
        return scores;
    }
}
