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
/// </summary>
public static class ChunkedKernel
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

    /// <summary>Loads a chunked kernel with 1 argument; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1> Load<T1>(Accelerator accelerator, Action<Index1D, WorkRange, T1> kernel) where T1 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1);
        };
    }

    /// <summary>Loads a chunked kernel with 2 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2> Load<T1, T2>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2> kernel) where T1 : struct where T2 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2);
        };
    }

    /// <summary>Loads a chunked kernel with 3 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3> Load<T1, T2, T3>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3> kernel) where T1 : struct where T2 : struct where T3 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3);
        };
    }

    /// <summary>Loads a chunked kernel with 4 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4> Load<T1, T2, T3, T4>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4);
        };
    }

    /// <summary>Loads a chunked kernel with 5 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4, T5> Load<T1, T2, T3, T4, T5>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4, T5> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4, T5>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4, a5) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4, a5));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4, a5);
        };
    }

    /// <summary>Loads a chunked kernel with 6 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4, T5, T6> Load<T1, T2, T3, T4, T5, T6>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4, T5, T6> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4, T5, T6>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4, a5, a6) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4, a5, a6));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4, a5, a6);
        };
    }

    /// <summary>Loads a chunked kernel with 7 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4, T5, T6, T7> Load<T1, T2, T3, T4, T5, T6, T7>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4, a5, a6, a7) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4, a5, a6, a7));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4, a5, a6, a7);
        };
    }

    /// <summary>Loads a chunked kernel with 8 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8> Load<T1, T2, T3, T4, T5, T6, T7, T8>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4, a5, a6, a7, a8) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4, a5, a6, a7, a8));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4, a5, a6, a7, a8);
        };
    }

    /// <summary>Loads a chunked kernel with 9 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4, a5, a6, a7, a8, a9) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4, a5, a6, a7, a8, a9));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4, a5, a6, a7, a8, a9);
        };
    }

    /// <summary>Loads a chunked kernel with 10 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);
        };
    }

    /// <summary>Loads a chunked kernel with 11 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
        };
    }

    /// <summary>Loads a chunked kernel with 12 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
        };
    }

    /// <summary>Loads a chunked kernel with 13 arguments; the launcher takes the element count first.</summary>
    public static Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(Accelerator accelerator, Action<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct where T13 : struct
    {
        var launch = accelerator.LoadAutoGroupedStreamKernel<Index1D, WorkRange, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(kernel);
        int maxWorkItems = MaxWorkItems(accelerator);
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        return (count, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) =>
        {
            if (cpu && HostPath.Enabled)
            {
                RunOnHost(accelerator, count.X, (t, work) => kernel(t, work, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13));
                return;
            }
            var work = WorkRange.Split(count.X, maxWorkItems);
            launch(work.Threads, work, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13);
        };
    }
}
