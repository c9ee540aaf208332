using ILGPU.Runtime;

namespace Engine.Kernels;

/// <summary>
/// The group size an explicitly grouped kernel is always launched with, and optionally how many of
/// its groups each multiprocessor must hold at once. The engine compiles the kernel with these as
/// launch bounds (PTX's <c>.maxntid</c> and <c>.minnctapersm</c>), so NVIDIA's assembler gives each
/// work-item as many registers as that occupancy allows and no more; the SASS report counts blocks
/// per multiprocessor at this size.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LaunchGroupAttribute : Attribute
{
    /// <summary>A kernel launched with groups of <paramref name="threads"/> work-items, <paramref name="minGroupsPerMultiprocessor"/> of them resident per multiprocessor (0: no bound).</summary>
    public LaunchGroupAttribute(int threads, int minGroupsPerMultiprocessor = 0)
    {
        Threads = threads;
        MinGroupsPerMultiprocessor = minGroupsPerMultiprocessor;
    }

    /// <summary>Work-items per group.</summary>
    public int Threads { get; }

    /// <summary>Groups each multiprocessor must be able to hold at once, 0 for no bound.</summary>
    public int MinGroupsPerMultiprocessor { get; }

    /// <summary>The launch bounds as ILGPU's kernel specialization.</summary>
    public KernelSpecialization Specialization =>
        new(Threads, MinGroupsPerMultiprocessor > 0 ? MinGroupsPerMultiprocessor : null);
}
