using Engine.Kernels;
using ILGPU;
using ILGPU.Runtime;
using Engine.Ops;

namespace Engine.Devices;

/// <summary>
/// Loads kernels written over a <see cref="WorkRange"/> (work-item t handles a contiguous chunk of
/// elements) and returns a launcher that takes the element count, as a one-thread-per-element
/// kernel would. The split is chosen per accelerator: one element per work-item on CUDA and OpenCL,
/// at most <see cref="CpuWorkItems"/> work-items on ILGPU's CPU accelerator, whose runtime
/// synchronises all of its OS threads after each group of work-items. With the host path on (see
/// <see cref="HostPath"/>), the CPU accelerator does not go through ILGPU's runtime at all: the
/// kernel method, which is ordinary .NET code, runs directly on the buffers (host memory), one
/// chunk per core: the same code, so the same numbers, at about half the cost per element and
/// without ILGPU's per-launch thread hand-offs.
/// <c>Load&lt;T1..Tn&gt;</c>, one overload per arity ILGPU can load, is generated from one template
/// (<c>src/Generators/ChunkedKernelWriter.cs</c>).
/// </summary>
public static partial class ChunkedKernel
{
    /// <summary>Work-items per launch on the CPU accelerator: enough chunks to balance two to a few dozen threads.</summary>
    public const int CpuWorkItems = 256;

    /// <summary>
    /// Runs a chunked kernel as host code: queued ILGPU work first, then one chunk per core (one
    /// chunk, inline, below as many elements as cores). Which elements a chunk covers never changes
    /// a kernel's result: each element is computed by exactly one work-item.
    /// </summary>
    private static void RunOnHost(Accelerator accelerator, int count, Action<Index1D, WorkRange> body)
    {
        if (count == 0)
            return;
        accelerator.Synchronize();
        var work = WorkRange.Split(count, Math.Min(count, Environment.ProcessorCount));
        if (work.Threads == 1)
            body(0, work);
        else
            HostPath.For(work.Threads, t => body(t, work));
    }

    /// <summary>The most work-items a launch uses on <paramref name="accelerator"/>.</summary>
    public static int MaxWorkItems(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return accelerator.AcceleratorType == AcceleratorType.CPU ? CpuWorkItems : int.MaxValue;
    }
}
