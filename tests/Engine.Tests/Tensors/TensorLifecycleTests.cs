using Engine.Devices;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Tensors;

[Collection(DeviceCollection.Name)]
public sealed class TensorLifecycleTests(DeviceFixture fixture)
{
    private readonly ComputeDevice _device = fixture.Device;

    [Fact]
    public void RoundTripPreservesEveryBit()
    {
        float[] data = [1.5f, -0f, float.NaN, float.PositiveInfinity, float.Epsilon, -3.25e-30f];
        using var tensor = Tensor.FromArray(_device, data, 2, 3);
        Assert.Equal(new Shape(2, 3), tensor.Shape);
        Reference.AssertExactly(data, tensor.ToArray(), "round trip");

        int[] indices = [7, -1, int.MaxValue, 0];
        using var indexTensor = IntTensor.FromArray(_device, indices, 4);
        Assert.Equal(indices, indexTensor.ToArray());
    }

    [Fact]
    public void DisposingReturnsTheLiveBufferCountToItsStart()
    {
        long before = _device.LiveBufferCount;
        long bytesBefore = _device.LiveBytes;
        var a = Tensor.Zeros(_device, 8, 3, 5, 5);
        var b = IntTensor.Zeros(_device, 10);
        Assert.Equal(before + 2, _device.LiveBufferCount);
        Assert.Equal(bytesBefore + 8 * 3 * 5 * 5 * 4 + 10 * 4, _device.LiveBytes);
        a.Dispose();
        b.Dispose();
        a.Dispose(); // a second dispose is harmless
        Assert.Equal(before, _device.LiveBufferCount);
        Assert.Equal(bytesBefore, _device.LiveBytes);
    }

    [Fact]
    public void ReleasedBuffersAreReusedInsteadOfReallocated()
    {
        var first = Tensor.Empty(_device, 3, 77);
        first.Dispose();
        long allocations = _device.AllocationCount;
        Assert.True(_device.CachedBufferCount >= 1);
        for (int i = 0; i < 5; i++)
        {
            using var again = Tensor.Zeros(_device, 77, 3); // same element count: served from the cache
        }
        Assert.Equal(allocations, _device.AllocationCount);
        using (Tensor.Empty(_device, 78, 3)) { }           // a new size is a new allocation
        Assert.Equal(allocations + 1, _device.AllocationCount);
        _device.ReleaseCachedMemory();
        Assert.Equal(0, _device.CachedBufferCount);
        Assert.Equal(0, _device.CachedBytes);
    }

    [Fact]
    public void SlicesViewPartOfATensor()
    {
        using var arena = Tensor.FromArray(_device, [0f, 1, 2, 3, 4, 5, 6, 7], 8);
        using var middle = arena.Slice(new Shape(2, 2), 2);
        Assert.Equal([2f, 3, 4, 5], middle.ToArray());
        Engine.Ops.TensorOps.Fill(middle, -1f);
        Assert.Equal([0f, 1, -1, -1, -1, -1, 6, 7], arena.ToArray());
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => arena.Slice(new Shape(4), 5)).Message);
    }

    [Fact]
    public void UseAfterDisposeThrows()
    {
        var tensor = Tensor.Zeros(_device, 4);
        tensor.Dispose();
        Assert.True(tensor.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => tensor.ToArray());
        Assert.Throws<ObjectDisposedException>(() => tensor.CopyFrom(new float[4]));
        Assert.Throws<ObjectDisposedException>(() => tensor.Reshape(2, 2));
        Assert.Throws<ObjectDisposedException>(() => Engine.Ops.TensorOps.Fill(tensor, 1f));
    }

    [Fact]
    public void ReshapeSharesMemoryUntilTheLastViewIsDisposed()
    {
        long before = _device.LiveBufferCount;
        var tensor = Tensor.FromArray(_device, [1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var view = tensor.Reshape(3, 2);
        Assert.Equal(before + 1, _device.LiveBufferCount);
        Assert.True(view.SharesStorageWith(tensor));
        tensor.Dispose();
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], view.ToArray()); // still alive through the view
        view.Dispose();
        Assert.Equal(before, _device.LiveBufferCount);

        using var other = Tensor.Zeros(_device, 2, 3);
        var error = Assert.Throws<ArgumentException>(() => other.Reshape(4, 2));
        Assert.Contains("[2, 3] (6 elements) to [4, 2] (8 elements)", error.Message);
    }

    [Fact]
    public void DisposeScopeFreesWhatWasMadeInsideItExceptWhatMovedOut()
    {
        long before = _device.LiveBufferCount;
        Tensor kept;
        Tensor inner;
        using (var scope = DisposeScope.Enter())
        {
            inner = Tensor.Zeros(_device, 3);
            _ = Tensor.Zeros(_device, 5);
            kept = scope.MoveToOuter(Tensor.Full(_device, 2f, 2));
            Assert.Equal(2, scope.Count);
            Assert.Equal(before + 3, _device.LiveBufferCount);
        }
        Assert.True(inner.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(before + 1, _device.LiveBufferCount);
        Assert.Equal([2f, 2f], kept.ToArray());
        kept.Dispose();
        Assert.Equal(before, _device.LiveBufferCount);
    }

    [Fact]
    public void NestedScopesMustEndInOrder()
    {
        var outer = DisposeScope.Enter();
        var inner = DisposeScope.Enter();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
        Assert.Null(DisposeScope.Current);
    }

    [Fact]
    public void BadShapesAndLengthsAreRejectedWithTheirValues()
    {
        var zero = Assert.Throws<ArgumentException>(() => Tensor.Zeros(_device, 2, 0, 3));
        Assert.Contains("Shape [2, 0, 3] has dimension 1 = 0", zero.Message);
        var negative = Assert.Throws<ArgumentException>(() => new Shape(-4));
        Assert.Contains("dimension 0 = -4", negative.Message);
        var length = Assert.Throws<ArgumentException>(() => Tensor.FromArray(_device, new float[5], 2, 3));
        Assert.Contains("5 values do not fill shape [2, 3] (6 elements)", length.Message);

        using var tensor = Tensor.Zeros(_device, 2, 3);
        var copy = Assert.Throws<ArgumentException>(() => tensor.CopyTo(new float[7]));
        Assert.Contains("shape [2, 3] (6 elements) into 7 values", copy.Message);
        var axis = Assert.Throws<ArgumentOutOfRangeException>(() => tensor.Shape[2]);
        Assert.Contains("Axis 2 is out of range for shape [2, 3]", axis.Message);
    }

    [Fact]
    public void ShapeAxesCountFromTheEndWhenNegative()
    {
        var shape = new Shape(8, 3, 28, 28);
        Assert.Equal(28, shape[-1]);
        Assert.Equal(3, shape[-3]);
        Assert.Equal(8L * 3 * 28 * 28, shape.Numel);
        Assert.Equal(1L, new Shape().Numel);
        Assert.Equal("[8, 3, 28, 28]", shape.ToString());
    }
}
