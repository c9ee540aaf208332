using Engine.Ops;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Tensors;

/// <summary>
/// Uploads from page-locked memory are queued without a wait, land in order behind the launches
/// queued before them, and are counted by the launch profile as bytes without a synchronisation.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class UploadTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Fact]
    public void QueuedUploadsLandInOrderWithoutAWait()
    {
        float[] first = Reference.Random(1000, 1), second = Reference.Random(1000, 2);
        using var scope = DisposeScope.Enter();
        using var pinnedA = _device.AllocatePinned<float>(1000);
        using var pinnedB = _device.AllocatePinned<float>(1000);
        using var labels = _device.AllocatePinned<int>(3);
        first.CopyTo(pinnedA.Span);
        second.CopyTo(pinnedB.Span);
        labels.Span[0] = 7; labels.Span[1] = -1; labels.Span[2] = 3;
        var x = Tensor.Empty(_device, 1000);
        var doubled = Tensor.Empty(_device, 1000);
        var y = IntTensor.Empty(_device, 3);

        var profile = _device.StartProfile();
        try
        {
            x.UploadAsync(pinnedA);
            y.UploadAsync(labels);
            Assert.Equal(0, profile.Synchronizations);
            Assert.Equal(4 * 1003, profile.BytesToDevice);
        }
        finally
        {
            _device.StopProfile();
        }
        TensorOps.Copy(x, doubled); // reads the first upload
        TensorOps.Axpy(1f, x, doubled);
        x.UploadAsync(pinnedB);     // queued behind the addition
        Assert.Equal(first.Select(v => v + v).ToArray(), doubled.ToArray());
        Assert.Equal(second, x.ToArray());
        Assert.Equal([7, -1, 3], y.ToArray());
    }

    [Fact]
    public void AMismatchedBufferIsRefusedWithBothLengths()
    {
        using var scope = DisposeScope.Enter();
        using var pinned = _device.AllocatePinned<float>(5);
        var x = Tensor.Empty(_device, 2, 3);
        var error = Assert.Throws<ArgumentException>(() => x.UploadAsync(pinned));
        Assert.Contains("Cannot upload 5 values into a tensor of shape [2, 3] (6 elements)", error.Message);
    }
}
