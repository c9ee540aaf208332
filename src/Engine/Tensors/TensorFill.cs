using Engine.Devices;
using Engine.Kernels.Elementwise;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Tensors;

/// <summary>
/// Sets a tensor's elements to one value: what <see cref="Tensor.Full(ComputeDevice, float, Shape)"/>
/// and <see cref="IntTensor.Zeros"/> need to make a tensor, so it lives beside them rather than in the
/// ops above (<c>TensorOps.Fill</c> calls it). On the CPU accelerator's host path a vector fill of the
/// buffer, elsewhere one launch of the fill kernel: the same bits.
/// </summary>
internal static class TensorFill
{
    /// <summary>Sets every element of <paramref name="x"/> to <paramref name="value"/>.</summary>
    internal static void Fill(Tensor x, float value) => Fill(x.Device, x.View, LaunchSize(x.Numel), value);

    /// <summary>Sets the first <paramref name="count"/> elements of a view to <paramref name="value"/>.</summary>
    internal static void Fill(ComputeDevice device, ArrayView<float> x, int count, float value)
    {
        if (device.Paths.Host)
        {
            device.Synchronize();
            HostPath.Chunks(count, (start, length) => HostPath.Span(x, start, length).Fill(value));
            return;
        }
        device.Kernel(ElementwiseLoaders.Fill)(count, x, value);
    }

    /// <summary>Sets every element of <paramref name="x"/> to <paramref name="value"/>.</summary>
    internal static void Fill(IntTensor x, int value) => x.Device.Kernel(ElementwiseLoaders.FillInt)(LaunchSize(x.Numel), x.View, value);

    // One launch covers at most int.MaxValue work-items (the message TensorOps' checks give).
    private static int LaunchSize(long count) => count <= int.MaxValue ? (int)count
        : throw new ArgumentException($"Fill: {count} elements exceed the {int.MaxValue} work-items of one launch.");
}
