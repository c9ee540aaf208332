using System.Globalization;

namespace Engine.Devices;

/// <summary>
/// What the engine knows about one accelerator, before or after it is opened.
/// </summary>
/// <param name="Kind">CPU accelerator, OpenCL or CUDA.</param>
/// <param name="Index">Position among the devices of the same kind (the N of <c>opencl:N</c>).</param>
/// <param name="Name">The driver's name for the device.</param>
/// <param name="MemoryBytes">Device memory in bytes.</param>
/// <param name="MaxGroupSize">Most threads one group may have.</param>
/// <param name="WarpSize">Threads per warp (or the OpenCL sub-group width ILGPU assumes).</param>
/// <param name="IsGpu">True for CUDA devices and OpenCL GPUs.</param>
/// <param name="IsUsable">False when ILGPU cannot compile for it (for example an OpenCL 1.2 runtime).</param>
/// <param name="Note">Why it is unusable, or extra detail such as the OpenCL platform.</param>
/// <param name="Multiprocessors">Streaming multiprocessors (CUDA) or compute units (OpenCL); for the CPU accelerator its simulated multiprocessors.</param>
public sealed record DeviceInfo(
    DeviceKind Kind,
    int Index,
    string Name,
    long MemoryBytes,
    int MaxGroupSize,
    int WarpSize,
    bool IsGpu,
    bool IsUsable,
    string Note,
    int Multiprocessors = 1)
{
    /// <summary>The spec that selects this device, as accepted by <see cref="DeviceSpec.Parse"/>: <c>cpu</c>, <c>opencl:1</c>, <c>cuda:0</c>.</summary>
    public string Spec => Kind == DeviceKind.Cpu ? "cpu" : $"{DeviceSpec.KindName(Kind)}:{Index}";

    /// <summary>One line: spec, name, memory, group and warp sizes, and any note.</summary>
    public override string ToString()
    {
        string memory = (MemoryBytes / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture);
        string line = $"{Spec,-9} {Name} ({(IsGpu ? "GPU" : "CPU")}, {memory} GiB, max group {MaxGroupSize}, warp {WarpSize})";
        if (!IsUsable)
            line += " [unusable]";
        return Note.Length == 0 ? line : $"{line} - {Note}";
    }
}
