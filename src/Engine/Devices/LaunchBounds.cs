using System.Reflection;
using Engine.Kernels;
using ILGPU.Runtime;

namespace Engine.Devices;

/// <summary>
/// The launch bounds an explicitly grouped kernel declares (<see cref="LaunchGroupAttribute"/>), as the
/// specialization its loader compiles it with: on CUDA they become PTX's <c>.maxntid</c> and
/// <c>.minnctapersm</c>, so ptxas allocates registers for the occupancy the kernel is designed for
/// (the SASS report, <c>bench sass-report</c>, measures the kernels compiled the same way).
/// </summary>
internal static class LaunchBounds
{
    /// <summary>The specialization of <paramref name="kernel"/>: its launch group's, or none.</summary>
    internal static KernelSpecialization Of(Delegate kernel) =>
        kernel.Method.GetCustomAttribute<LaunchGroupAttribute>()?.Specialization ?? KernelSpecialization.Empty;
}
