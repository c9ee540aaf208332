using Engine.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Ops;

/// <summary>
/// ILGPU's CPU accelerator runs kernels by simulating work-items on OS threads, 10-100 times slower
/// than plain code (measured: im2col at about 9 ns per element, the register-tiled GEMM at 1-5
/// GFLOP/s). Its buffers are host memory, so on that accelerator the ops that dominate training
/// (GEMM, im2col, col2im) run as host code on the same buffers instead. Every other accelerator,
/// and the CPU accelerator when <see cref="Enabled"/> is off, runs the ILGPU kernels.
/// </summary>
internal static unsafe class HostPath
{
    [ThreadStatic]
    private static bool t_kernelsOnly;

    /// <summary>Whether ops launched from this thread use the host path on the CPU accelerator (tests switch it off to run the kernels there).</summary>
    internal static bool Enabled
    {
        get => !t_kernelsOnly;
        set => t_kernelsOnly = !value;
    }

    /// <summary>True when <paramref name="device"/> is the CPU accelerator and the host path is on.</summary>
    internal static bool Applies(ComputeDevice device) => Enabled && device.Accelerator.AcceleratorType == AcceleratorType.CPU;

    /// <summary>The host address of a CPU-accelerator view (its buffers live in host memory).</summary>
    internal static float* Pointer(ArrayView<float> view) => (float*)view.LoadEffectiveAddressAsPtr();

    /// <summary>Runs <paramref name="body"/> for 0..count-1 on the host's cores.</summary>
    internal static void For(int count, Action<int> body) =>
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, body);
}
