using Engine.Modules.Layers;
using Engine.Optim;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Optim;

/// <summary>
/// The optimiser's step guard, on the device: a non-finite loss or gradient halts this and every
/// later update (weights and moments untouched) and records the step, with nothing read back
/// until the trainer asks; gradients whose squares overflow but are finite do not halt.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class StepGuardTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Theory]
    [InlineData(float.NaN, 0.5f, true)]
    [InlineData(1f, float.PositiveInfinity, true)]
    [InlineData(1f, float.NaN, true)]
    [InlineData(1f, 3e38f, false)] // its square overflows; it is finite
    [InlineData(2f, 0.5f, false)]
    public void ANonFiniteLossOrGradientHaltsEveryLaterUpdate(float lossValue, float gradient, bool halts)
    {
        var layer = new Linear(3, 2);
        layer.Initialize(_device, seed: 1);
        var parameters = layer.NamedParameters().Select(p => p.Parameter).ToList();
        using var adam = new AdamW(parameters, 1e-3f);
        using var scope = DisposeScope.Enter();
        var loss = Tensor.FromArray(_device, [lossValue]);
        float[] before = parameters[0].Value.ToArray();

        parameters[0].Grad.CopyFrom([0.1f, gradient, 0.2f, 0.3f, -0.1f, 0f]);
        adam.GuardFinite(loss, step: 7);
        adam.Step();
        Assert.Equal(halts ? 7 : null, adam.HaltedStep());
        Assert.Equal(halts ? 1f : 0f, adam.HaltFlag.ToArray()[0]);
        if (halts)
            Assert.Equal(before, parameters[0].Value.ToArray());
        else
            Assert.NotEqual(before, parameters[0].Value.ToArray());

        // A good step afterwards: a halt stays (the trainer stops at its next read), and records the first bad step.
        loss.CopyFrom([1f]);
        parameters[0].Grad.CopyFrom([0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f]);
        float[] middle = parameters[0].Value.ToArray();
        adam.GuardFinite(loss, step: 8);
        adam.Step();
        Assert.Equal(halts ? 7 : null, adam.HaltedStep());
        if (halts)
            Assert.Equal(middle, parameters[0].Value.ToArray());
        layer.Release();
    }
}
