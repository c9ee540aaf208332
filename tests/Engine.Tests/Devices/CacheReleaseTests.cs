using Engine.Devices;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Devices;

/// <summary>
/// The caching allocator is bounded by default (a quarter of the device's memory, at most 1 GiB)
/// and gives its buffers back once the device has been idle for <see cref="ComputeDevice.CacheIdleRelease"/>.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class CacheReleaseTests(DeviceFixture fixture)
{
    private const long MiB = 1 << 20;

    [Theory]
    [InlineData(24L << 30, 1L << 30)]   // this machine's 24 GiB: 1 GiB, not 6
    [InlineData(2L << 30, 512L << 20)]  // a quarter of a small device
    [InlineData(128L << 20, 64L << 20)] // never below 64 MiB
    public void TheDefaultBoundIsAQuarterOfTheMemoryAtMostOneGibibyte(long memory, long expected) =>
        Assert.Equal(expected, ComputeDevice.DefaultCacheLimit(memory));

    [Fact]
    public void AnOpenedDeviceHasTheDefaultBoundAndIdleRelease()
    {
        using var device = ComputeDevice.Open(fixture.Spec);
        Assert.Equal(ComputeDevice.DefaultCacheLimit(device.Info.MemoryBytes), device.CacheLimit);
        Assert.True(device.CacheLimit <= 1L << 30);
        Assert.Equal(TimeSpan.FromSeconds(30), device.CacheIdleRelease);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.CacheIdleRelease = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.CacheLimit = -1);
    }

    [Fact]
    public void AnIdleCacheIsFreedAndABusyOneIsKept()
    {
        using var device = ComputeDevice.Open(fixture.Spec);
        device.CacheIdleRelease = TimeSpan.FromSeconds(1);
        using (var scope = DisposeScope.Enter())
            Tensor.Zeros(device, new Shape((int)(MiB / 4)));
        Assert.Equal(MiB, device.CachedBytes);
        // Busy: a buffer taken and given back every 50 ms for 1.5 s keeps the cache.
        for (int i = 0; i < 30; i++)
        {
            using (var scope = DisposeScope.Enter())
                Tensor.Empty(device, new Shape((int)(MiB / 4)));
            Thread.Sleep(50);
        }
        Assert.Equal(0, device.IdleReleases);
        Assert.Equal(MiB, device.CachedBytes);
        // Idle: freed within a few idle periods.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (device.CachedBytes > 0 && clock.Elapsed < TimeSpan.FromSeconds(20))
            Thread.Sleep(20);
        Assert.Equal(0, device.CachedBytes);
        Assert.Equal(1, device.IdleReleases);
        Assert.Equal(0, device.LiveBytes);
    }
}
