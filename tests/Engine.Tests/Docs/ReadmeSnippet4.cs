using Engine.Tensors;

namespace Engine.Tests.Docs;

/// <summary>The README's C# snippet 4, word for word between the region marks (<see cref="ReadmeSnippetTests"/>), compiled with only the README's usings.</summary>
internal static class ReadmeSnippet4
{
    internal static void Run(Engine.Devices.ComputeDevice device, Engine.Modules.Module model)
    {
        #region readme
        Engine.Onnx.OnnxExport.Save("model.onnx", device, new Shape(1, 1, 28, 28), x => model.Call(x));
        #endregion
        
    }
}
