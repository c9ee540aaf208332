using Engine.Devices;
using Engine.Graph;
using Engine.Modules.Layers;
using Engine.Ops;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Graph;

/// <summary>
/// A crop whose only reader is a concatenation (U-Net's skip connection) runs inside the
/// concatenation on the kernels: the window is copied from the crop's input into its channels, and
/// the input's gradient is written from the concatenation's, added to what the skip's other reader
/// (a pooling, here) writes. The same loss and gradients bit for bit as the pair kept apart (by
/// asking for the crop's output), two launches fewer per step; the host path keeps them apart.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class CropConcatFusionTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AFusedCropGivesTheBitsOfTheCropAndTheConcatenation(bool hostPath)
    {
        using var path = ExecutionPaths.Override(hostPath: hostPath);
        var fused = Run(keepCrop: false);
        var plain = Run(keepCrop: true);
        bool kernels = !_device.Paths.Host;
        Assert.Equal(0, plain.Fused);
        Assert.Equal(kernels ? 1 : 0, fused.Fused);
        Reference.AssertExactly(plain.Loss, fused.Loss, "loss");
        Reference.AssertExactly(plain.InputGrad, fused.InputGrad, "input gradient (through the crop and the pooling)");
        for (int i = 0; i < plain.Grads.Count; i++)
            Reference.AssertExactly(plain.Grads[i], fused.Grads[i], $"gradient {i}");
        if (kernels)
        {
            // The crop's two launches are gone; its copies go straight into and out of the concatenation.
            Assert.Equal(plain.Launches - 2, fused.Launches);
            Assert.Equal(plain.Kernels.Count(k => k == "ChannelSlice") - 2, fused.Kernels.Count(k => k == "ChannelSlice"));
        }
    }

    // x [2, 3, 10, 9] -> conv -> skip [2, 4, 10, 9]; skip -> pool -> conv -> up (transposed) [2, 4, 10, 8];
    // concat(up, crop(skip) [2, 4, 10, 8] at (0, 1)) -> conv -> loss. The skip's gradient comes from the crop and the pooling.
    private (float[] Loss, float[] InputGrad, List<float[]> Grads, int Fused, int Launches, List<string> Kernels) Run(bool keepCrop)
    {
        var stem = new Conv2d(3, 4, 3, padding: 1);
        var down = new Conv2d(4, 4, 3, padding: 1);
        var up = new ConvTranspose2d(4, 4, 2, stride: 2);
        var head = new Conv2d(8, 3, 1);
        var all = new Sequential(stem, down, up, head);
        all.Initialize(_device, seed: 5);
        var g = new GraphBuilder(_device);
        var x = g.Input("x", new Shape(2, 3, 10, 9), requiresGrad: true);
        var y = g.IntInput("y", 2, 10, 8);
        var skip = stem.Call(x).Relu();
        var upsampled = up.Call(down.Call(new MaxPool2d(2).Call(skip)).Relu());
        var cropped = skip.Crop(10, 8, 0, 1);
        var logits = head.Call(NodeFunctions.Concat(upsampled, cropped));
        var loss = logits.CrossEntropy(y);
        using var graph = keepCrop ? g.Compile(loss, [loss, cropped]) : g.Compile(loss);
        using var scope = DisposeScope.Enter();
        graph.Value(x).CopyFrom(Reference.Random(2 * 3 * 10 * 9, 8, -2f, 2f));
        graph.IntValue(y).CopyFrom(Enumerable.Range(0, 160).Select(i => i * 7 % 3).ToArray());
        var parameters = all.NamedParameters().Select(p => p.Parameter).ToList();
        graph.ZeroGrad();
        var profile = _device.StartProfile();
        try
        {
            graph.Forward();
            graph.Backward();
        }
        finally
        {
            _device.StopProfile();
        }
        var result = (graph.Value(loss).ToArray(), graph.Grad(x)!.ToArray(), parameters.Select(p => p.Grad.ToArray()).ToList(),
            graph.CropsIntoConcat.Count, profile.Launches.Count, profile.Launches.Select(l => l.Kernel).ToList());
        all.Release();
        return result;
    }
}
