using ILGPU;
using ILGPU.Runtime;

namespace Engine.Devices;

/// <summary>
/// ILGPU's CPU accelerator runs kernels by simulating work-items on OS threads, 10-100 times slower
/// than plain code (measured: im2col at about 9 ns per element, the register-tiled GEMM at 1-5
/// GFLOP/s). Its buffers are host memory, so on that accelerator the ops that dominate training
/// run as host code on the same buffers instead: GEMM and the convolutions (<c>HostGemm</c>,
/// <c>HostConvolution</c>), batch norm, ReLU, max pooling, bilinear resampling, crop, concatenation,
/// the elementwise ops and Adam as vector loops (the <c>*Host</c> classes), and every other chunked
/// kernel as plain .NET code (<see cref="ChunkedKernel"/>). Every other accelerator, and the CPU
/// accelerator when the host path is off, runs the ILGPU kernels; <c>HostPathTests</c> holds the
/// two to the same results. Whether a device takes it is <see cref="ExecutionPaths.Host"/>'s answer;
/// this class holds the helpers host code shares.
/// </summary>
internal static unsafe class HostPath
{
    /// <summary>The host address of a CPU-accelerator view (its buffers live in host memory).</summary>
    internal static float* Pointer(ArrayView<float> view) => (float*)view.LoadEffectiveAddressAsPtr();

    /// <summary>The host address of a CPU-accelerator view of ints.</summary>
    internal static int* Pointer(ArrayView<int> view) => (int*)view.LoadEffectiveAddressAsPtr();

    /// <summary>A span over <paramref name="length"/> elements of a CPU-accelerator view from <paramref name="start"/>.</summary>
    internal static Span<float> Span(ArrayView<float> view, long start, int length) => new(Pointer(view) + start, length);

    /// <summary>
    /// Runs <paramref name="body"/>(start, length) over <c>[0, count)</c> split into contiguous
    /// chunks, one per core (inline when the work is too small to share). The split changes which
    /// thread computes an element, never how: elementwise results do not depend on it.
    /// </summary>
    internal static void Chunks(long count, Action<long, int> body) => Chunks(count, 1 << 15, body);

    /// <summary>As <see cref="Chunks(long, Action{long, int})"/>, with chunks of at least <paramref name="minChunk"/> items.</summary>
    internal static void Chunks(long count, long minChunk, Action<long, int> body)
    {
        int chunks = (int)Math.Clamp(count / Math.Max(minChunk, 1), 1, Environment.ProcessorCount);
        if (chunks == 1)
        {
            for (long start = 0; start < count; start += int.MaxValue)
                body(start, (int)Math.Min(int.MaxValue, count - start));
            return;
        }
        long size = (count + chunks - 1) / chunks;
        if (minChunk >= 64)
            size = (size + 63) / 64 * 64; // cache-line aligned boundaries for elementwise work
        For(chunks, c =>
        {
            long start = c * size;
            if (start < count)
                body(start, (int)Math.Min(size, count - start));
        });
    }

    /// <summary>Sums one plane's gradient into <paramref name="sum"/> (cleared, planeSize floats).</summary>
    internal delegate void PlaneSum(long plane, float* sum);

    /// <summary>
    /// For each of <paramref name="planes"/> planes of <paramref name="planeSize"/> floats: clears a
    /// scratch plane, lets <paramref name="sumPlane"/> add the plane's gradient into it (a scatter, in
    /// the order the kernel's gather adds), then stores it into plane p of <paramref name="dx"/>, or
    /// adds it there with <paramref name="accumulate"/>. One scratch plane per chunk of at least
    /// <paramref name="minPlanes"/> planes. The backward passes that scatter (col2im, max pooling,
    /// bilinear resampling) share it.
    /// </summary>
    internal static void PlaneSums(long planes, int planeSize, long minPlanes, float* dx, bool accumulate, PlaneSum sumPlane) =>
        Chunks(planes, minPlanes, (first, count) =>
        {
            float[] buffer = System.Buffers.ArrayPool<float>.Shared.Rent(planeSize);
            try
            {
                fixed (float* sum = buffer)
                {
                    var sums = new Span<float>(sum, planeSize);
                    for (long plane = first; plane < first + count; plane++)
                    {
                        sums.Clear();
                        sumPlane(plane, sum);
                        var target = new Span<float>(dx + plane * planeSize, planeSize);
                        if (accumulate)
                            System.Numerics.Tensors.TensorPrimitives.Add(target, sums, target);
                        else
                            sums.CopyTo(target);
                    }
                }
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(buffer);
            }
        });

    /// <summary>Runs <paramref name="body"/> for 0..count-1 on the host's cores.</summary>
    internal static void For(int count, Action<int> body) =>
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, body);
}
