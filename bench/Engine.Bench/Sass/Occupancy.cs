namespace Engine.Bench.Sass;

/// <summary>
/// How many groups of a kernel one multiprocessor holds at once, from its registers, shared memory
/// and group size, with the limits of the architecture (NVIDIA's occupancy rules: registers are
/// allocated per warp in units of 256, i.e. per thread rounded up to 8; 1 KiB of shared memory is
/// reserved per group).
/// </summary>
internal static class Occupancy
{
    private sealed record Limits(int Registers, int Threads, int Groups, int SharedBytes);

    private static Limits For(string architecture) => architecture switch
    {
        "sm_70" => new Limits(65536, 2048, 32, 98304),
        "sm_75" => new Limits(65536, 1024, 16, 65536),
        "sm_80" => new Limits(65536, 2048, 32, 167936),
        "sm_86" => new Limits(65536, 1536, 16, 102400),
        "sm_90" => new Limits(65536, 2048, 32, 233472),
        _ => throw new ArgumentException($"No occupancy limits for {architecture}.", nameof(architecture)),
    };

    /// <summary>Groups of <paramref name="threads"/> work-items resident per multiprocessor.</summary>
    public static int Groups(string architecture, int registers, int sharedBytes, int threads)
    {
        var limits = For(architecture);
        int warps = (threads + 31) / 32;
        int perThread = Math.Max(8, (registers + 7) / 8 * 8);
        int byRegisters = limits.Registers / (perThread * 32) / warps;
        int byThreads = limits.Threads / (warps * 32);
        int byShared = sharedBytes == 0 ? limits.Groups : limits.SharedBytes / (sharedBytes + 1024);
        return Math.Min(Math.Min(byRegisters, byThreads), Math.Min(byShared, limits.Groups));
    }

    /// <summary>
    /// The group size CUDA's occupancy calculator picks for an implicitly grouped kernel (ILGPU asks it
    /// for the largest group with the most resident work-items), and the groups resident at it.
    /// </summary>
    public static (int Threads, int Groups) Best(string architecture, int registers, int sharedBytes)
    {
        (int Threads, int Groups) best = (32, 0);
        for (int threads = 32; threads <= 1024; threads += 32)
        {
            int groups = Groups(architecture, registers, sharedBytes, threads);
            if (groups * threads >= best.Threads * best.Groups)
                best = (threads, groups);
        }
        return best;
    }
}
