namespace Engine.Bench.Sass;

/// <summary>
/// What each family of GPU kernels must reach in its machine code (the SASS report checks them):
/// the FFMA share of its K loop, 128-bit shared-memory reads, no integer division or division
/// routine in the loop, registers within the launch bounds, no spills.
/// </summary>
internal sealed record KernelTargets(string Prefix, string Description, double MinFfmaShare, int MaxRegisters, bool VectorSharedLoads)
{
    /// <summary>The families and their targets.</summary>
    public static IReadOnlyList<KernelTargets> All { get; } =
    [
        new("GemmLargeTileKernels.Gemm128x128", ">= 80% FFMA per tile, LDS.128 only, <= 128 registers, no division", 0.80, 128, true),
        new("GemmSharedTiledKernels.Gemm64x64", ">= 65% FFMA per tile, LDS.128 only, no division", 0.65, 255, true),
        new("ImplicitConvKernels.Forward", ">= 70% FFMA per tile, LDS.128 only, no division or call in the K loop", 0.70, 255, true),
        new("ImplicitConvKernels.Backward", ">= 65% FFMA per tile in both gradients' K loops, LDS.128 only, no division or call", 0.65, 255, true),
    ];

    /// <summary>True for a kernel of this family.</summary>
    public bool Applies(string kernelName) => kernelName.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Null when the kernel meets the target, else what it misses.</summary>
    public string? Miss(KernelResources resources, IReadOnlyList<LoopProfile> kLoops)
    {
        var misses = new List<string>();
        if (resources.Spills)
            misses.Add("spills");
        if (resources.Registers > MaxRegisters)
            misses.Add($"{resources.Registers} registers");
        if (kLoops.Count == 0)
            misses.Add("no K loop found");
        if (Prefix.Contains("Backward", StringComparison.Ordinal) && kLoops.Count != 2)
            misses.Add($"{kLoops.Count} K loops, not 2");
        foreach (var loop in kLoops)
        {
            if (loop.FfmaShare < MinFfmaShare)
                misses.Add($"FFMA share {loop.FfmaShare:P1}");
            if (!loop.TripsKnown)
                misses.Add("an inner loop's trip count unread");
            if (VectorSharedLoads && (loop.SharedLoads > 0 || loop.SharedLoads128 == 0))
                misses.Add($"{loop.SharedLoads} scalar LDS");
            if (loop.Divisions > 0 || loop.Calls > 0)
                misses.Add($"{loop.Divisions} divisions, {loop.Calls} calls");
        }
        return misses.Count == 0 ? null : string.Join(", ", misses);
    }
}
