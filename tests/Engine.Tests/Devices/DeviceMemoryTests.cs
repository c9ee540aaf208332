using Engine.Devices;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Devices;

/// <summary>
/// The caching allocator keeps no more than its limit, releases its cache and retries once when an
/// allocation does not fit, and then reports what was needed and what was free. Each test opens its
/// own device of the suite's kind, so the limits it sets stay with it.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class DeviceMemoryTests(DeviceFixture fixture)
{
    private const long MiB = 1 << 20;

    [Fact]
    public void AnAllocationBeyondTheLimitSaysWhatWasNeededAndWhatWasFree()
    {
        using var device = ComputeDevice.Open(fixture.Spec);
        device.MemoryLimit = 8 * MiB;
        using var scope = DisposeScope.Enter();
        var kept = Tensor.Zeros(device, new Shape((int)(3 * MiB / 4))); // 3 MiB
        var error = Assert.Throws<OutOfDeviceMemoryException>(() => Tensor.Zeros(device, new Shape((int)(6 * MiB / 4))));
        Assert.Equal(6 * MiB, error.NeededBytes);
        Assert.Equal(5 * MiB, error.FreeBytes);
        Assert.Contains("needs 6.0 MiB, 5.0 MiB free", error.Message);
        Assert.Equal(3 * MiB, device.LiveBytes); // the failed allocation left nothing behind
    }

    [Fact]
    public void TheCacheIsReleasedAndTheAllocationRetriedWhenItDoesNotFit()
    {
        using var device = ComputeDevice.Open(fixture.Spec);
        device.MemoryLimit = 8 * MiB;
        using (var scope = DisposeScope.Enter())
        {
            Tensor.Zeros(device, new Shape((int)(5 * MiB / 4)));
        }
        Assert.Equal(5 * MiB, device.CachedBytes); // released into the cache, still held
        using var next = DisposeScope.Enter();
        var other = Tensor.Zeros(device, new Shape((int)(6 * MiB / 4))); // fits only once the cache is freed
        Assert.Equal(0, device.CachedBytes);
        Assert.Equal(6 * MiB, device.LiveBytes);
    }

    [Fact]
    public void TheCacheKeepsNoMoreThanItsLimitDroppingTheOldestFirst()
    {
        using var device = ComputeDevice.Open(fixture.Spec);
        device.CacheLimit = 3 * MiB + 1024; // three of the four buffers below
        for (int i = 1; i <= 4; i++)
        {
            using var scope = DisposeScope.Enter();
            Tensor.Zeros(device, new Shape((int)(MiB / 4) + i)); // four distinct sizes of about 1 MiB
        }
        Assert.True(device.CachedBytes <= device.CacheLimit, $"{device.CachedBytes} bytes cached");
        Assert.Equal(3, device.CachedBufferCount);
        long allocations = device.AllocationCount;
        using (var scope = DisposeScope.Enter())
            Tensor.Zeros(device, new Shape((int)(MiB / 4) + 4)); // the newest is still cached
        Assert.Equal(allocations, device.AllocationCount);
        using (var scope = DisposeScope.Enter())
            Tensor.Zeros(device, new Shape((int)(MiB / 4) + 1)); // the oldest was freed
        Assert.Equal(allocations + 1, device.AllocationCount);
    }

    [Fact]
    public void FreeMemoryIsPositiveAndWithinTheLimit()
    {
        using var device = ComputeDevice.Open(fixture.Spec);
        Assert.True(device.FreeMemory > 16 * MiB, $"{device.FreeMemory} bytes free");
        device.MemoryLimit = 4 * MiB;
        Assert.True(device.FreeMemory <= 4 * MiB);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.MemoryLimit = 0);
    }
}
