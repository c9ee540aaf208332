using Engine.Devices;

namespace Engine.Tensors;

/// <summary>
/// An int32 device tensor, for indices: argmax masks of max pooling, class labels.
/// </summary>
public sealed class IntTensor : DeviceTensor<int>
{
    private IntTensor(ComputeDevice device, Shape shape) : base(device, shape) { }

    private IntTensor(DeviceStorage<int> storage, Shape shape, long offset = 0) : base(storage, shape, offset) { }

    /// <summary>An uninitialised index tensor: every element must be written before it is read.</summary>
    public static IntTensor Empty(ComputeDevice device, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new IntTensor(device, shape);
    }

    /// <summary>An uninitialised index tensor: every element must be written before it is read.</summary>
    public static IntTensor Empty(ComputeDevice device, params int[] shape) => Empty(device, new Shape(shape));

    /// <summary>An index tensor of zeros.</summary>
    public static IntTensor Zeros(ComputeDevice device, params int[] shape)
    {
        var tensor = Empty(device, new Shape(shape));
        TensorFill.Fill(tensor, 0);
        return tensor;
    }

    /// <summary>An index tensor holding a copy of host data, row-major.</summary>
    /// <exception cref="ArgumentException">The data length differs from the shape's element count.</exception>
    public static IntTensor FromArray(ComputeDevice device, ReadOnlySpan<int> data, params int[] shape)
    {
        var s = new Shape(shape);
        if (data.Length != s.Numel)
            throw new ArgumentException($"{data.Length} values do not fill shape {s} ({s.Numel} elements).", nameof(data));
        var tensor = Empty(device, s);
        tensor.CopyFrom(data);
        return tensor;
    }

    /// <summary>A view of <paramref name="shape"/> over this tensor's memory from element <paramref name="offset"/>.</summary>
    public IntTensor Slice(Shape shape, long offset = 0)
    {
        ThrowIfDisposed();
        if (offset < 0 || offset + shape.Numel > Numel)
            throw new ArgumentException($"A view of shape {shape} at offset {offset} does not fit a tensor of shape {Shape} ({Numel} elements).");
        var storage = Storage;
        storage.AddReference();
        return new IntTensor(storage, shape, Offset + offset);
    }

    /// <summary>A view with another shape of the same element count, sharing this tensor's memory.</summary>
    public IntTensor Reshape(params int[] shape)
    {
        var checkedShape = CheckReshape(new Shape(shape));
        var storage = Storage;
        storage.AddReference();
        return new IntTensor(storage, checkedShape, Offset);
    }
}
