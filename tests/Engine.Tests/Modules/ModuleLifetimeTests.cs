using Engine.Devices;
using Engine.Graph;
using Engine.Models;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Modules;

/// <summary>
/// A module's device memory is given back by <c>using</c>, even when an exception comes first; a
/// released module says so, apart from one never initialised; a model on another device is refused
/// when the task is built, naming the tensor's path and both devices by their names.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class ModuleLifetimeTests(DeviceFixture fixture)
{
    private readonly ComputeDevice _device = fixture.Device;

    private static Sequential Small() => new(new Conv2d(1, 4, 3, padding: 1), new BatchNorm2d(4), ReLU.Create(), new Flatten(), new Linear(4 * 6 * 6, 3));

    [Fact]
    public void UsingGivesEveryBufferBackEvenWhenAnExceptionComesFirst()
    {
        long before = _device.LiveBytes, buffers = _device.LiveBufferCount;
        var error = Assert.Throws<InvalidOperationException>(new Action(() =>
        {
            using var model = Small();
            model.Initialize(_device, seed: 3);
            Assert.True(_device.LiveBytes > before);
            throw new InvalidOperationException("a failure before Release");
        }));
        Assert.Equal("a failure before Release", error.Message);
        Assert.Equal(before, _device.LiveBytes);
        Assert.Equal(buffers, _device.LiveBufferCount);
    }

    [Fact]
    public void AReleasedModelSaysSoAndANewOneSaysItIsNotInitialised()
    {
        var fresh = Small();
        Assert.False(fresh.IsInitialized);
        Assert.False(fresh.IsReleased);
        var never = Assert.Throws<InvalidOperationException>(() => fresh.NamedParameters().First().Parameter.Value);
        Assert.Equal("The module is not initialised: call Initialize(device, seed) first.", never.Message);

        var model = Small();
        model.Initialize(_device, seed: 3);
        Assert.True(model.IsInitialized);
        Assert.Same(_device, model.Device);
        model.Dispose();
        Assert.True(model.IsReleased);
        Assert.Null(model.Device);
        var released = Assert.Throws<InvalidOperationException>(() => model.NamedParameters().First().Parameter.Grad);
        Assert.StartsWith("The module was released (Dispose or Release freed its weights)", released.Message);
        model.Dispose(); // a second dispose is harmless

        model.Initialize(_device, seed: 3); // and it can live again
        Assert.False(model.IsReleased);
        model.Dispose();
    }

    [Fact]
    public void ATaskRefusesAModelOnAnotherDeviceNamingTheTensorAndBothDevices()
    {
        using var other = ComputeDevice.Open(fixture.Spec);
        using var model = Small();
        model.Initialize(other, seed: 3);
        var error = Assert.Throws<InvalidOperationException>(() => new ClassificationTask(model, _device));
        Assert.Equal($"The ClassificationTask runs on {_device.Name}, but the model's 0.weight is on {other.Name}: initialise or load the model on {_device.Name}.", error.Message);
        Assert.NotEqual(_device.Name, other.Name);
        Assert.Matches(@"^[a-z]+(:\d+)?#\d+$", other.Name);
    }

    [Fact]
    public void ATaskTakesAModelWithoutWeightsAndItsTrainerInitialisesIt()
    {
        using var model = ResNet.ResNet18(classes: 3, inChannels: 1, smallStem: true, width: 2);
        using var task = new ClassificationTask(model, _device);
        Assert.False(model.IsInitialized);
        var released = Small();
        released.Initialize(_device, seed: 1);
        released.Release();
        using var again = new ClassificationTask(released, _device); // released: the trainer initialises it anew
        Assert.True(released.IsReleased);
    }
}
