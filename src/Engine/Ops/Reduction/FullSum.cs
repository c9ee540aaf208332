using Engine.Devices;
using Engine.Kernels.Reduction;
using Engine.Tensors;
using ILGPU;

namespace Engine.Ops.Reduction;

/// <summary>
/// A deterministic sum of a whole buffer: <c>ceil(length / Chunk)</c> work-items each sum every
/// lanes-th value from their own (neighbouring work-items read neighbouring values), then the
/// partial sums likewise, until one value remains. The order of additions depends only on the
/// length, never on the backend or thread timing.
/// </summary>
internal static class FullSum
{
    internal const int Chunk = 1024;

    /// <summary><c>result[0] = sum of values[0 .. length)</c>.</summary>
    internal static void Run(ComputeDevice device, ArrayView<float> values, long length, ArrayView<float> result)
    {
        long count = (length + Chunk - 1) / Chunk;
        if (count == 1)
        {
            device.Kernel(ReductionLoaders.SumLanes)(1, values, result, length, 1);
            return;
        }
        using var partial = Tensor.Empty(device, (int)count);
        device.Kernel(ReductionLoaders.SumLanes)(Check.LaunchSize("Sum", count), values, partial.View, length, (int)count);
        Run(device, partial.View, count, result);
    }

    /// <summary>
    /// As <see cref="Run(ComputeDevice, ArrayView{float}, long, ArrayView{float})"/>, with the partial
    /// sums in <paramref name="workspace"/> (at least <see cref="Workspace"/> bytes of floats) rather than
    /// allocated per call, for loops that sum every iteration. The same additions in the same order.
    /// </summary>
    internal static void Run(ComputeDevice device, ArrayView<float> values, long length, ArrayView<float> result, ArrayView<float> workspace)
    {
        long count = (length + Chunk - 1) / Chunk;
        if (count == 1)
        {
            device.Kernel(ReductionLoaders.SumLanes)(1, values, result, length, 1);
            return;
        }
        var partial = workspace.SubView(0, count);
        device.Kernel(ReductionLoaders.SumLanes)(Check.LaunchSize("Sum", count), values, partial, length, (int)count);
        // The workspace holds exactly the levels above one value, so the last level needs none.
        Run(device, partial, count, result, count < workspace.Length ? workspace.SubView(count) : workspace);
    }

    /// <summary>A new scalar tensor with the sum of every element of <paramref name="x"/>.</summary>
    internal static Tensor Of(Tensor x)
    {
        var result = Tensor.Empty(x.Device, new Shape());
        Run(x.Device, x.View, x.Numel, result.View);
        return result;
    }

    /// <summary>Bytes of the partial sums <see cref="Run(ComputeDevice, ArrayView{float}, long, ArrayView{float})"/> holds at once for <paramref name="length"/> values (each level's, nested).</summary>
    internal static long Workspace(long length)
    {
        long bytes = 0;
        for (long n = (length + Chunk - 1) / Chunk; n > 1; n = (n + Chunk - 1) / Chunk)
            bytes += 4 * n;
        return bytes;
    }
}
