namespace Engine.Bench.Sass;

/// <summary>
/// What each family of GPU kernels is held to in its machine code (the SASS report checks them):
/// the FFMA share of its K loop per tile against the target the family aims at and against a floor
/// that CI enforces (the share reached when the floor was set, less a point or two of ptxas's
/// run-to-run noise in register allocation, so a change that loses ground fails), 128-bit
/// shared-memory reads only, no integer division or division routine in the loop, registers within
/// the launch bounds, no spills.
/// </summary>
/// <param name="Prefix">Kernel names the targets apply to.</param>
/// <param name="Target">The FFMA share aimed at (issue 24's targets).</param>
/// <param name="Floor">The FFMA share below which --check fails.</param>
/// <param name="MaxRegisters">Registers per work-item the launch bounds allow.</param>
/// <param name="KLoops">K loops the kernel must have (two where one launch runs two products).</param>
internal sealed record KernelTargets(string Prefix, double Target, double Floor, int MaxRegisters, int KLoops)
{
    /// <summary>The families and their targets.</summary>
    public static IReadOnlyList<KernelTargets> All { get; } =
    [
        new("GemmLargeTileKernels.Gemm128x128", Target: 0.80, Floor: 0.79, MaxRegisters: 128, KLoops: 1),
        new("GemmSharedTiledKernels.Gemm64x64", Target: 0.65, Floor: 0.66, MaxRegisters: 255, KLoops: 1),
        new("ImplicitConvKernels.Forward128", Target: 0.70, Floor: 0.69, MaxRegisters: 128, KLoops: 1),
        new("ImplicitConvKernels.Forward64", Target: 0.70, Floor: 0.51, MaxRegisters: 255, KLoops: 1),
        new("ImplicitConvKernels.ForwardFolded128", Target: 0.70, Floor: 0.63, MaxRegisters: 128, KLoops: 1),
        new("ImplicitConvKernels.ForwardFolded64", Target: 0.70, Floor: 0.45, MaxRegisters: 255, KLoops: 1),
        new("ImplicitConvKernels.Pointwise128", Target: 0.80, Floor: 0.79, MaxRegisters: 128, KLoops: 1),
        new("ImplicitConvKernels.Pointwise64", Target: 0.65, Floor: 0.66, MaxRegisters: 255, KLoops: 1),
        new("ImplicitConvKernels.Backward128", Target: 0.65, Floor: 0.49, MaxRegisters: 128, KLoops: 2),
        new("ImplicitConvKernels.Backward64", Target: 0.65, Floor: 0.33, MaxRegisters: 255, KLoops: 2),
    ];

    /// <summary>One line: the target, the floor and the other rules.</summary>
    public string Description => $">= {Target:P0} FFMA per tile (CI floor {Floor:P0}), LDS.128 only, no division or call in the K loop{(MaxRegisters < 255 ? $", <= {MaxRegisters} registers" : "")}";

    /// <summary>True for a kernel of this family.</summary>
    public bool Applies(string kernelName) => kernelName.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Null when the kernel meets the target, else what it misses.</summary>
    public string? TargetMiss(IReadOnlyList<LoopProfile> kLoops) =>
        kLoops.Count > 0 && kLoops.All(l => l.FfmaShare >= Target) ? null
            : $"FFMA share {string.Join(", ", kLoops.Select(l => l.FfmaShare.ToString("P1")))}";

    /// <summary>Null when the kernel passes CI's gate (the floor and the rules), else why not.</summary>
    public string? GateFailure(KernelResources resources, IReadOnlyList<LoopProfile> kLoops)
    {
        var misses = new List<string>();
        if (resources.Spills)
            misses.Add("spills");
        if (resources.Registers > MaxRegisters)
            misses.Add($"{resources.Registers} registers");
        if (kLoops.Count != KLoops)
            misses.Add($"{kLoops.Count} K loops found, not {KLoops}");
        foreach (var loop in kLoops)
        {
            if (loop.FfmaShare < Floor)
                misses.Add($"FFMA share {loop.FfmaShare:P1} under the floor");
            if (!loop.TripsKnown)
                misses.Add("an inner loop's trip count unread");
            if (loop.SharedLoads > 0 || loop.SharedLoads128 == 0)
                misses.Add($"{loop.SharedLoads} scalar LDS");
            if (loop.Divisions > 0 || loop.Calls > 0)
                misses.Add($"{loop.Divisions} divisions, {loop.Calls} calls");
        }
        return misses.Count == 0 ? null : string.Join(", ", misses);
    }
}
