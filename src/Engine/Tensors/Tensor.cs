using Engine.Devices;

namespace Engine.Tensors;

/// <summary>
/// A float32 device tensor (NCHW for images). Own it with <c>using</c>, or create it inside a
/// <see cref="DisposeScope"/>; its device memory is freed deterministically.
/// </summary>
public sealed class Tensor : DeviceTensor<float>
{
    private Tensor(ComputeDevice device, Shape shape) : base(device, shape) { }

    private Tensor(DeviceStorage<float> storage, Shape shape, long offset = 0) : base(storage, shape, offset) { }

    /// <summary>An uninitialised tensor: every element must be written before it is read.</summary>
    public static Tensor Empty(ComputeDevice device, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new Tensor(device, shape);
    }

    /// <summary>An uninitialised tensor: every element must be written before it is read.</summary>
    public static Tensor Empty(ComputeDevice device, params int[] shape) => Empty(device, new Shape(shape));

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(ComputeDevice device, params int[] shape) => Full(device, 0f, shape);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(ComputeDevice device, Shape shape) => Full(device, 0f, shape);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(ComputeDevice device, float value, params int[] shape) => Full(device, value, new Shape(shape));

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(ComputeDevice device, float value, Shape shape)
    {
        var tensor = Empty(device, shape);
        TensorFill.Fill(tensor, value);
        return tensor;
    }

    /// <summary>A tensor holding a copy of host data, row-major.</summary>
    /// <exception cref="ArgumentException">The data length differs from the shape's element count.</exception>
    public static Tensor FromArray(ComputeDevice device, ReadOnlySpan<float> data, params int[] shape)
    {
        var s = new Shape(shape);
        if (data.Length != s.Numel)
            throw new ArgumentException($"{data.Length} values do not fill shape {s} ({s.Numel} elements).", nameof(data));
        var tensor = Empty(device, s);
        tensor.CopyFrom(data);
        return tensor;
    }

    /// <summary>
    /// A view with another shape of the same element count, sharing this tensor's memory (like
    /// PyTorch's <c>reshape</c> on a contiguous tensor). Dispose it like any tensor; the memory
    /// is freed when the last tensor sharing it is disposed.
    /// </summary>
    public Tensor Reshape(params int[] shape) => Reshape(new Shape(shape));

    /// <inheritdoc cref="Reshape(int[])"/>
    public Tensor Reshape(Shape shape)
    {
        var checkedShape = CheckReshape(shape);
        var storage = Storage;
        storage.AddReference();
        return new Tensor(storage, checkedShape, Offset);
    }

    /// <summary>
    /// A view of <paramref name="shape"/> over this tensor's memory from element
    /// <paramref name="offset"/> (of this tensor): how planned buffers are shared by values whose
    /// lifetimes do not overlap. The view must fit inside this tensor.
    /// </summary>
    public Tensor Slice(Shape shape, long offset = 0)
    {
        ThrowIfDisposed();
        if (offset < 0 || offset + shape.Numel > Numel)
            throw new ArgumentException($"A view of shape {shape} at offset {offset} does not fit a tensor of shape {Shape} ({Numel} elements).");
        var storage = Storage;
        storage.AddReference();
        return new Tensor(storage, shape, Offset + offset);
    }
}
