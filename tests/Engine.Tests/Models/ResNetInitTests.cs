using Engine.Models;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>ResNet starts as torchvision's does (its <c>__init__</c> loop over <c>modules()</c>), or with the layers' defaults when asked.</summary>
[Collection(DeviceCollection.Name)]
public sealed class ResNetInitTests(DeviceFixture fixture)
{
    [Fact]
    public void ConvolutionsAreKaimingNormalWithFanOutNormsStartAtOneAndZeroAndTheHeadKeepsItsDefault()
    {
        var model = ResNet.ResNet18(classes: 10, inChannels: 3, smallStem: true, width: 16);
        model.Initialize(fixture.Device, seed: 3);
        try
        {
            int convolutions = 0;
            foreach (var (name, p) in model.NamedParameters())
            {
                double[] v = p.Value.ToArray().Select(x => (double)x).ToArray();
                var s = p.Shape;
                if (s.Rank == 4)
                {
                    // kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, 2 / (out * kH * kW)).
                    double std = Math.Sqrt(2.0 / (s[0] * s[2] * s[3]));
                    double mean = v.Average();
                    double sampleStd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
                    Assert.True(Math.Abs(mean) < 5 * std / Math.Sqrt(v.Length), $"{name}: mean {mean}");
                    Assert.True(Math.Abs(sampleStd / std - 1) < 5 / Math.Sqrt(2.0 * v.Length), $"{name}: std {sampleStd}, expected {std}");
                    convolutions++;
                }
                else if (name.StartsWith("fc.", StringComparison.Ordinal))
                {
                    double bound = 1 / Math.Sqrt(128); // nn.Linear's default, which torchvision keeps: fan-in 8 x 16
                    Assert.All(v, x => Assert.InRange(Math.Abs(x), 0, bound));
                }
                else
                {
                    Assert.All(v, x => Assert.Equal(name.EndsWith(".weight", StringComparison.Ordinal) ? 1.0 : 0.0, x)); // batch norm
                }
            }
            Assert.Equal(20, convolutions); // stem, 16 in the blocks, 3 downsamples
            // Not the layers' default: uniform in ±1/sqrt(fan_in) has std 1/sqrt(3 fan_in), 0.017 here against 0.042.
            var last = model.NamedParameters().Single(p => p.Name == "layer4.1.conv2.weight").Parameter.Value.ToArray();
            Assert.True(last.Max(Math.Abs) > 1 / Math.Sqrt(9 * 128), "layer4.1.conv2 stays inside the default's bound");
        }
        finally
        {
            model.Release();
        }
    }

    [Fact]
    public void ZeroInitResidualZeroesEachBlocksLastNormAndLayerDefaultsRestoreTheUniform()
    {
        foreach (var (model, last) in new[] { (ResNet.ResNet18(10, 3, true, 4, zeroInitResidual: true), "bn2"), (ResNet.ResNet50(10, 3, true, 4).WithZeroInitResidual(), "bn3") })
        {
            model.Initialize(fixture.Device, seed: 1);
            try
            {
                var norms = model.NamedParameters().Where(p => p.Name.Contains(".bn", StringComparison.Ordinal) && p.Name.EndsWith(".weight", StringComparison.Ordinal)).ToList();
                Assert.NotEmpty(norms);
                foreach (var (name, p) in norms)
                    Assert.All(p.Value.ToArray(), x => Assert.Equal(name.EndsWith($".{last}.weight", StringComparison.Ordinal) ? 0f : 1f, x));
                Assert.Equal(last == "bn2" ? 8 : 16, norms.Count(n => n.Name.EndsWith($".{last}.weight", StringComparison.Ordinal)));
            }
            finally
            {
                model.Release();
            }
        }

        var plain = ResNet.ResNet18(10, 3, true, 16).WithLayerDefaultInit();
        plain.Initialize(fixture.Device, seed: 3);
        try
        {
            foreach (var (name, p) in plain.NamedParameters().Where(p => p.Parameter.Shape.Rank == 4))
            {
                double bound = 1 / Math.Sqrt(p.Shape[1] * p.Shape[2] * p.Shape[3]);
                Assert.All(p.Value.ToArray(), x => Assert.InRange(Math.Abs(x), 0, bound));
            }
        }
        finally
        {
            plain.Release();
        }
    }
}
