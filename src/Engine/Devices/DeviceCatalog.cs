using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Engine.Devices;

/// <summary>
/// Enumerates the accelerators ILGPU can see and picks one for a <see cref="DeviceSpec"/>.
/// </summary>
internal static class DeviceCatalog
{
    /// <summary>A device as listed, with the ILGPU device it came from.</summary>
    internal readonly record struct Entry(DeviceInfo Info, Device Device);

    /// <summary>
    /// The CPU accelerator's shape: one simulated multiprocessor with one OS thread per core
    /// (warps of 2). ILGPU's default (16 threads) was measured 3-6x slower per launch on 2 cores:
    /// every launch wakes and joins all of its threads.
    /// </summary>
    internal static CPUDevice CpuDevice { get; } = new(
        numThreadsPerWarp: 2,
        numWarpsPerMultiprocessor: Math.Max(1, Environment.ProcessorCount / 2),
        numMultiprocessors: 1);

    /// <summary>
    /// A context that registers the CPU accelerator, every CUDA device and every OpenCL device,
    /// including OpenCL devices ILGPU cannot use, so they can be reported rather than hidden.
    /// </summary>
    internal static Context CreateContext()
    {
        PoclSettings.Apply();
        return Context.Create(builder => builder
            .CPU(CpuDevice)
            .Cuda()
            .OpenCL(_ => true)
            .Optimize(OptimizationLevel.O2)
            .Profiling() // markers in the stream: the fences (DeviceFence) a pipelined training step waits on
            .EnableAlgorithms());
    }

    /// <summary>Lists every device of the context: CUDA first, then OpenCL, then the CPU accelerator.</summary>
    internal static List<Entry> List(Context context)
    {
        var entries = new List<Entry>();
        int cudaIndex = 0;
        foreach (var device in context.GetCudaDevices())
            entries.Add(new Entry(Describe(device, DeviceKind.Cuda, cudaIndex++, isGpu: true, usable: true, note: ""), device));

        int clIndex = 0;
        foreach (var device in context.GetCLDevices())
        {
            bool isGpu = device.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_GPU);
            bool usable = device.CLStdVersion >= CLBackend.MinimumVersion && device.Capabilities.GenericAddressSpace;
            string note = usable
                ? $"{device.PlatformName}, OpenCL C {device.CLStdVersion}"
                : $"{device.PlatformName}: ILGPU needs OpenCL C {CLBackend.MinimumVersion} with the generic address space; this device offers OpenCL C {device.CLStdVersion}"
                  + (device.Capabilities.GenericAddressSpace ? "" : " without it");
            entries.Add(new Entry(Describe(device, DeviceKind.OpenCL, clIndex++, isGpu, usable, note), device));
        }

        foreach (var device in context.GetCPUDevices())
        {
            entries.Add(new Entry(Describe(device, DeviceKind.Cpu, 0, isGpu: false, usable: true,
                note: "ILGPU CPU accelerator (ops run as host SIMD code on its buffers; ENGINE_HOST_PATH=0 runs the kernels)"), device));
            break; // one CPU accelerator is registered; the spec 'cpu' names it.
        }
        return entries;
    }

    private static DeviceInfo Describe(Device device, DeviceKind kind, int index, bool isGpu, bool usable, string note)
    {
        string name = kind == DeviceKind.Cpu ? $"CPU accelerator, {Environment.ProcessorCount} cores" : device.Name.Trim();
        long memory = kind == DeviceKind.Cpu ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : device.MemorySize;
        return new DeviceInfo(kind, index, name, memory, device.MaxNumThreadsPerGroup, device.WarpSize, isGpu, usable, note, Math.Max(1, device.NumMultiprocessors));
    }

    /// <summary>
    /// Chooses the device for <paramref name="spec"/>. Automatic choice prefers CUDA, then an
    /// OpenCL GPU, then ILGPU's CPU accelerator, then an OpenCL CPU runtime: with its host path
    /// the CPU accelerator trains 1.5-3.3x faster than PoCL on the same cores (docs/PERFORMANCE.md).
    /// </summary>
    /// <exception cref="DeviceNotFoundException">Nothing matches; the message lists what is present.</exception>
    internal static Entry Select(IReadOnlyList<Entry> entries, DeviceSpec spec)
    {
        if (spec.IsAuto)
        {
            return entries
                .Where(e => e.Info.IsUsable)
                .OrderBy(e => AutoRank(e.Info))
                .ThenBy(e => e.Info.Index)
                .First(); // the CPU accelerator is always present and usable
        }

        var kind = spec.Kind!.Value;
        var ofKind = entries.Where(e => e.Info.Kind == kind).ToList();
        if (spec.Index is int index)
        {
            var match = ofKind.Where(e => e.Info.Index == index).ToList();
            if (match.Count == 0)
                throw new DeviceNotFoundException(spec, $"there is no {DeviceSpec.KindName(kind)} device with index {index}", entries);
            if (!match[0].Info.IsUsable)
                throw new DeviceNotFoundException(spec, $"{match[0].Info.Spec} cannot be used: {match[0].Info.Note}", entries);
            return match[0];
        }

        var usable = ofKind.Where(e => e.Info.IsUsable).OrderBy(e => AutoRank(e.Info)).ThenBy(e => e.Info.Index).ToList();
        if (usable.Count == 0)
        {
            string reason = ofKind.Count == 0
                ? $"no {DeviceSpec.KindName(kind)} device was found"
                : $"no usable {DeviceSpec.KindName(kind)} device was found";
            if (kind == DeviceKind.OpenCL && ofKind.Count == 0)
                reason += " (ILGPU loads libOpenCL.so, from Debian's ocl-icd-opencl-dev, and needs an OpenCL C 2.0+ runtime such as PoCL 6)";
            throw new DeviceNotFoundException(spec, reason, entries);
        }
        return usable[0];
    }

    private static int AutoRank(DeviceInfo info) => info.Kind switch
    {
        DeviceKind.Cuda => 0,
        DeviceKind.OpenCL when info.IsGpu => 1,
        DeviceKind.Cpu => 2,
        _ => 3, // an OpenCL CPU runtime
    };
}
