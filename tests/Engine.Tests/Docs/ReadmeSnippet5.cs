using Engine.Devices;
using Engine.Ops;
using Engine.Tensors;

namespace Engine.Tests.Docs;

/// <summary>The README's C# snippet 5, word for word between the region marks (<see cref="ReadmeSnippetTests"/>), compiled with only the README's usings.</summary>
internal static class ReadmeSnippet5
{
    internal static float[] Run()
    {
        #region readme
        using var device = ComputeDevice.Open("opencl:0");   // or ComputeDevice.OpenDefault()
        using var scope = DisposeScope.Enter();               // frees the temporaries made below
        var a = Tensor.FromArray(device, new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = Tensor.Full(device, 0.5f, 3, 4);
        var c = Blas.MatMul(a, b);                            // [2, 4], on the device
        float[] host = c.ToArray();                           // the only copy to the host
        #endregion
        return host;
    }
}
