using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Optim;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// A tiny segmentation a light segmenter must learn: two 32x32 images of noise over a dark half and
/// a bright half (left in one image, right in the other), the bright half being class 1; trained
/// with Adam at 1e-2.
/// </summary>
internal static class BrightHalves
{
    /// <summary>
    /// The loss <paramref name="loss"/> builds from the images x <c>[2, 1, 32, 32]</c> and masks y
    /// <c>[2, 32, 32]</c>, at the first of <paramref name="steps"/> steps and after the last.
    /// Adam moves every weight by about the rate whatever its gradient's size, so at widths of 2 with
    /// batch norm over two images the path is chaotic (another GEMM kernel's rounding moves it after
    /// a few steps); over 60 steps every path learns.
    /// </summary>
    public static (float First, float Last) Train(Module model, ComputeDevice device, Func<Node, Node, Node> loss, int steps = 60)
    {
        var g = new GraphBuilder(device);
        var x = g.Input("x", 2, 1, 32, 32);
        var y = g.IntInput("y", 2, 32, 32);
        var objective = loss(x, y);
        using var step = g.Compile(objective);
        float[] noise = Reference.Random(2 * 32 * 32, 4, -0.2f, 0.2f);
        bool Bright(int i) => (i % 32 >= 16) == (i < 32 * 32);
        step.Value(x).CopyFrom(noise.Select((v, i) => v + (Bright(i) ? 1f : 0f)).ToArray());
        step.IntValue(y).CopyFrom(Enumerable.Range(0, 2 * 32 * 32).Select(i => Bright(i) ? 1 : 0).ToArray());
        using var adam = new Adam(model.NamedParameters().Select(p => p.Parameter), 1e-2f);
        float first = 0, last = 0;
        for (int i = 0; i < steps; i++)
        {
            adam.ZeroGrad();
            step.Forward();
            step.Backward();
            adam.Step();
            last = step.Value(objective).ToArray()[0];
            if (i == 0)
                first = last;
        }
        return (first, last);
    }
}
