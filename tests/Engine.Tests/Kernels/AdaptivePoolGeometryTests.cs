using Engine.Kernels.Pooling;
using Engine.Ops.Pooling;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Kernels;

/// <summary>
/// The adaptive windows the kernels compute with <see cref="Engine.Kernels.FastDivisor"/> are PyTorch's, and the
/// inverse bounds the gather backwards walk hold exactly the windows that contain each input row.
/// </summary>
[DeviceIndependent("integer window arithmetic on the host")]
public sealed class AdaptivePoolGeometryTests
{
    [Fact]
    public void WindowsAndTheirInversesMatchTheFloat64RuleForEverySmallSize()
    {
        for (int input = 1; input <= 40; input++)
        {
            for (int output = 1; output <= 40; output++)
            {
                var g = new AdaptivePoolGeometry(1, input, input, output, output);
                for (int o = 0; o < output; o++)
                    Assert.Equal(RefPool.AdaptiveWindow(o, input, output), (g.RowStart(o), g.RowEnd(o)));
                for (int i = 0; i < input; i++)
                {
                    var holding = Enumerable.Range(0, output).Where(o => RefPool.AdaptiveWindow(o, input, output) is var (s, e) && s <= i && i < e).ToList();
                    Assert.Equal((holding[0], holding[^1]), (g.FirstRowOf(i), g.LastRowOf(i)));
                    Assert.Equal(holding.Count, holding[^1] - holding[0] + 1); // contiguous
                    Assert.Equal((g.FirstRowOf(i), g.LastRowOf(i)), (g.FirstColOf(i), g.LastColOf(i)));
                }
            }
        }
    }

    [Fact]
    public void TheBoundsStayExactAtTheLargestSizesTheSpecAccepts()
    {
        const int input = 46_339, output = 46_339; // (input + 1) (output + 1) just below 2^31
        var spec = AdaptivePool2dSpec.Create("test", new Shape(1, 1, input, 1), (output, 1));
        var g = spec.Geometry;
        foreach (int o in new[] { 0, 1, output / 2, output - 2, output - 1 })
        {
            Assert.Equal((int)((long)o * input / output), g.RowStart(o));
            Assert.Equal((int)(((long)(o + 1) * input + output - 1) / output), g.RowEnd(o));
        }
        Assert.Equal((output - 1, output - 1), (g.FirstRowOf(input - 1), g.LastRowOf(input - 1)));
        Assert.Contains("input size (46341, 1) times output size (46341, 1) exceeds the int range",
            Assert.Throws<ArgumentException>(() => AdaptivePool2dSpec.Create("test", new Shape(1, 1, 46_341, 1), (46_341, 1))).Message);
    }
}
