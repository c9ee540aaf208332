using System.Globalization;
using System.Text;
using Engine.Kernels;
using ILGPU.Runtime.Cuda;

namespace Engine.Bench.Sass;

/// <summary>
/// The SASS report: every kernel of the kernel assembly compiled to PTX as the engine compiles it
/// for an NVIDIA GPU, assembled by NVIDIA's ptxas for sm_80 and sm_90 and disassembled, with no GPU.
/// One table for the GEMM-shaped kernels (the FFMA share of the instructions their K loop issues per
/// tile, with nested loops counted by their trip counts: the most of FP32 peak they can reach, whatever
/// the GPU), one for every kernel (registers, spills, shared memory, groups per multiprocessor,
/// integer divisions), and the targets each kernel family is held to.
/// </summary>
/// <remarks>
/// <c>sass-report [--arch sm_80,sm_90] [--filter TEXT] [--out DIR] [--check]</c>. Files (PTX, cubin,
/// SASS, report.md) go to DIR (default artifacts/sass). With --check the exit code is 1 when a kernel
/// does not assemble, spills, or fails its family's gate (<see cref="KernelTargets"/>; CI runs
/// scripts/sass-report.sh --check).
/// </remarks>
internal static class SassReport
{
    private sealed record Row(KernelCatalog.Entry Kernel, string Architecture, AssembledKernel Assembled, IReadOnlyList<LoopProfile> KLoops, LoopProfile Whole, int GroupThreads, int Groups);

    public static int Run(string[] args)
    {
        string[] architectures = ["sm_80", "sm_90"];
        string? filter = null;
        string output = Path.Combine("artifacts", "sass");
        bool check = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--arch" when i + 1 < args.Length: architectures = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--filter" when i + 1 < args.Length: filter = args[++i]; break;
                case "--out" when i + 1 < args.Length: output = args[++i]; break;
                case "--check": check = true; break;
                default:
                    Console.Error.WriteLine($"sass-report: unknown argument '{args[i]}'. Use: sass-report [--arch sm_80,sm_90] [--filter TEXT] [--out DIR] [--check]");
                    return 2;
            }
        }

        var tools = NvidiaTools.Locate();
        Directory.CreateDirectory(output);
        var kernels = KernelCatalog.All().Where(k => filter is null || k.Name.Contains(filter, StringComparison.Ordinal)).ToList();
        var started = DateTime.UtcNow;
        var rows = Measure(tools, kernels, architectures, output);
        string report = Format(rows, tools.Version, architectures, out bool passed);
        File.WriteAllText(Path.Combine(output, "report.md"), report);
        Console.Write(report);
        Console.WriteLine($"{kernels.Count} kernels x {architectures.Length} architectures in {(DateTime.UtcNow - started).TotalSeconds:F0} s; files in {output}");
        return check && !passed ? 1 : 0;
    }

    private static List<Row> Measure(NvidiaTools tools, List<KernelCatalog.Entry> kernels, string[] architectures, string output)
    {
        // ILGPU compiles one kernel at a time; ptxas runs beside it.
        var work = new List<Task<Row>>();
        using var throttle = new SemaphoreSlim(Environment.ProcessorCount);
        using (var ptx = new PtxCompilation())
        {
            foreach (var kernel in kernels)
            {
                foreach (string architecture in architectures)
                {
                    string code = ptx.Compile(kernel, ParseArchitecture(architecture));
                    string name = FileName(kernel.Name) + "." + architecture;
                    throttle.Wait();
                    work.Add(Task.Run(() =>
                    {
                        try
                        {
                            return Analyse(kernel, architecture, tools.Assemble(code, architecture, output, name));
                        }
                        finally
                        {
                            throttle.Release();
                        }
                    }));
                }
            }
            Task.WaitAll([.. work]);
        }
        return work.Select(t => t.Result).ToList();
    }

    private static Row Analyse(KernelCatalog.Entry kernel, string architecture, AssembledKernel assembled)
    {
        if (!assembled.Assembled)
            return new Row(kernel, architecture, assembled, [], LoopProfile.Whole([]), 0, 0);
        var code = SassInstruction.Parse(assembled.Sass);
        var resources = assembled.Resources!;
        var (threads, groups) = kernel.LaunchGroup is { } launch
            ? (launch.Threads, Occupancy.Groups(architecture, resources.Registers, resources.SharedBytes, launch.Threads))
            : Occupancy.Best(architecture, resources.Registers, resources.SharedBytes);
        return new Row(kernel, architecture, assembled, LoopProfile.KLoops(code), LoopProfile.Whole(code), threads, groups);
    }

    private static string Format(List<Row> rows, string ptxasVersion, string[] architectures, out bool passed)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# SASS report ({ptxasVersion}; ILGPU {typeof(ILGPU.Context).Assembly.GetName().Version}, O2, PTX ISA 7.8)");
        text.AppendLine();
        text.AppendLine("## GEMM-shaped kernels: the K loop, per tile");
        text.AppendLine();
        text.AppendLine("| kernel | arch | regs | spills | smem | groups/SM | loop | instr | FFMA | FFMA share | LDS.128 | LDS | LDG.128 | LDG | div | call | 64-bit |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var row in rows.Where(r => r.KLoops.Count > 0))
        {
            var r = row.Assembled.Resources!;
            for (int i = 0; i < row.KLoops.Count; i++)
            {
                var l = row.KLoops[i];
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {row.Kernel.Name} | {row.Architecture} | {r.Registers} | {Spills(r)} | {r.SharedBytes} | {row.Groups} x {row.GroupThreads} | {i + 1}/{row.KLoops.Count}{(l.TripsKnown ? "" : " (trips?)")} | {l.Instructions} | {l.Ffma} | **{l.FfmaShare:P1}** | {l.SharedLoads128} | {l.SharedLoads} | {l.GlobalLoads128} | {l.GlobalLoads} | {l.Divisions} | {l.Calls} | {l.WideIntegerOps} |");
            }
        }
        text.AppendLine();
        text.AppendLine("## Every kernel");
        text.AppendLine();
        text.AppendLine("Registers, spill bytes (stores/loads), static shared memory, groups per multiprocessor at the group size it is launched with (implicitly grouped kernels: the size CUDA's occupancy calculator picks), and the integer divisions and calls (64-bit division routines) anywhere in the kernel.");
        text.AppendLine();
        text.AppendLine("| kernel | " + string.Join(" | ", architectures.Select(a => $"{a} regs | spills | groups/SM")) + " | smem | div | call |");
        text.AppendLine("|---|" + string.Concat(architectures.Select(_ => "---|---|---|")) + "---|---|---|");
        var failures = new List<string>();
        foreach (var group in rows.GroupBy(r => r.Kernel.Name))
        {
            var cells = new List<string>();
            foreach (string architecture in architectures)
            {
                var row = group.First(r => r.Architecture == architecture);
                if (!row.Assembled.Assembled)
                {
                    cells.Add("FAILS | | ");
                    failures.Add($"{row.Kernel.Name} does not assemble for {architecture}: {FirstLine(row.Assembled.Log)}");
                    continue;
                }
                var r = row.Assembled.Resources!;
                if (r.Spills)
                    failures.Add($"{row.Kernel.Name} spills on {architecture}: {Spills(r)} bytes");
                cells.Add($"{r.Registers} | {Spills(r)} | {row.Groups} x {row.GroupThreads}");
            }
            var any = group.First();
            text.AppendLine($"| {group.Key} | {string.Join(" | ", cells)} | {any.Assembled.Resources?.SharedBytes ?? 0} | {any.Whole.Divisions} | {any.Whole.Calls} |");
        }
        text.AppendLine();
        text.AppendLine("## Targets");
        text.AppendLine();
        foreach (var target in KernelTargets.All)
        {
            foreach (var row in rows.Where(r => target.Applies(r.Kernel.Name) && r.Assembled.Assembled))
            {
                string? miss = target.TargetMiss(row.KLoops);
                string? gate = target.GateFailure(row.Assembled.Resources!, row.KLoops);
                string verdict = miss is null ? "met" : gate is null ? "missed (above the CI floor)" : "**FAILS the CI gate**";
                text.AppendLine(CultureInfo.InvariantCulture, $"- {verdict}: {row.Kernel.Name} on {row.Architecture}: {target.Description}{(miss is null ? "" : " - " + miss)}{(gate is null ? "" : "; gate: " + gate)}");
                if (gate is not null)
                    failures.Add($"{row.Kernel.Name} on {row.Architecture} fails the CI gate ({target.Description}): {gate}");
            }
        }
        text.AppendLine();
        text.AppendLine(failures.Count == 0
            ? "Every kernel assembles for " + string.Join(" and ", architectures) + " with no spills, and every GEMM-shaped kernel passes its CI gate."
            : "FAILURES:\n" + string.Join("\n", failures.Select(f => "- " + f)));
        passed = failures.Count == 0;
        return text.ToString();
    }

    private static string Spills(KernelResources r) => r.Spills ? $"{r.SpillStoreBytes}/{r.SpillLoadBytes}" : "0";

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? text.Split('\n')[0];

    private static string FileName(string kernelName) => new(kernelName.Select(c => char.IsLetterOrDigit(c) || c == '.' ? c : '_').ToArray());

    private static CudaArchitecture ParseArchitecture(string architecture) => architecture switch
    {
        "sm_70" => CudaArchitecture.SM_70,
        "sm_75" => CudaArchitecture.SM_75,
        "sm_80" => CudaArchitecture.SM_80,
        "sm_86" => CudaArchitecture.SM_86,
        "sm_90" => CudaArchitecture.SM_90,
        _ => throw new ArgumentException($"sass-report knows sm_70, sm_75, sm_80, sm_86 and sm_90, not {architecture}."),
    };
}
