using Engine.Devices;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops;
using Engine.Optim;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Optim;

/// <summary>
/// A module's parameters lie side by side in one buffer and their gradients in another, so an
/// optimiser updates the whole model in one launch and zeroes every gradient in one fill; a frozen
/// parameter splits the run, and stays exactly as it was; the result equals updating each tensor
/// on its own (the same arithmetic per element).
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class FlatParameterTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    private static Sequential Model() => new(new Conv2d(2, 3, 3, padding: 1), new BatchNorm2d(3), new Linear(5, 4));

    [Fact]
    public void OneLaunchUpdatesEveryParameterAndOneFillZeroesEveryGradient()
    {
        var model = Model();
        model.Initialize(_device, seed: 3);
        var parameters = model.NamedParameters().Select(p => p.Parameter).ToList();
        using var adam = new AdamW(parameters, 0.01f);
        Assert.Single(adam.Runs);
        Assert.Equal(model.ParameterCount, adam.Runs[0].Length);

        using var kernels = ExecutionPaths.Override(hostPath: false);
        var profile = _device.StartProfile();
        try
        {
            adam.ZeroGrad();
            adam.Step();
            _device.Synchronize();
        }
        finally
        {
            _device.StopProfile();
        }
        Assert.Equal(["Fill", "Optim.Adam"], profile.Launches.Select(l => l.Kernel));
        Assert.Equal(model.ParameterCount, profile.Launches[1].WorkItems);
        model.Release();
    }

    [Fact]
    public void AFrozenParameterSplitsTheRunAndIsLeftAlone()
    {
        var flat = Model();
        flat.Initialize(_device, seed: 5);
        var parameters = flat.NamedParameters().Select(p => p.Parameter).ToList();
        var frozen = parameters[2]; // the batch norm's weight, between the convolution and the rest
        frozen.RequiresGrad = false;
        float[] before = frozen.Value.ToArray();
        var grads = parameters.Select((p, i) => Reference.Random((int)p.Shape.Numel, 40 + i)).ToList();
        for (int i = 0; i < parameters.Count; i++)
            parameters[i].Grad.CopyFrom(grads[i]);
        using var adam = new AdamW(parameters, 0.01f, weightDecay: 0.1f);
        Assert.Equal(2, adam.Runs.Count);
        adam.Step();
        adam.Step();
        Assert.Equal(before, frozen.Value.ToArray());

        // The same updates, one parameter per optimiser: the same bits.
        var alone = Model();
        alone.Initialize(_device, seed: 5);
        var separate = alone.NamedParameters().Select(p => p.Parameter).ToList();
        for (int i = 0; i < separate.Count; i++)
        {
            if (i == 2)
                continue;
            separate[i].Grad.CopyFrom(grads[i]);
            using var single = new AdamW([separate[i]], 0.01f, weightDecay: 0.1f);
            single.Step();
            single.Step();
            Reference.AssertExactly(separate[i].Value.ToArray(), parameters[i].Value.ToArray(), $"parameter {i}");
        }
        flat.Release();
        alone.Release();
    }

    [Fact]
    public void ParametersOfOneBufferCopyIntoEachOther()
    {
        var model = new Sequential(new Linear(3, 4), new Linear(3, 4));
        model.Initialize(_device, seed: 8);
        var weights = model.NamedParameters().Where(p => p.Name.EndsWith("weight", StringComparison.Ordinal)).Select(p => p.Parameter).ToList();
        Assert.True(weights[1].Value.SharesStorageWith(weights[0].Value)); // one flat buffer
        Assert.NotEqual(weights[0].Value.ToArray(), weights[1].Value.ToArray());
        TensorOps.Copy(weights[0].Value, weights[1].Value);
        Assert.Equal(weights[0].Value.ToArray(), weights[1].Value.ToArray());
        using var first = weights[0].Value.Slice(new Engine.Tensors.Shape(2, 3));
        using var overlapping = weights[0].Value.Slice(new Engine.Tensors.Shape(2, 3), 3);
        var error = Assert.Throws<ArgumentException>(() => TensorOps.Copy(first, overlapping));
        Assert.Contains("overlap", error.Message);
        model.Release();
    }
}
