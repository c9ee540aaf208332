namespace Engine.Bench.Sass;

/// <summary>
/// What one pass of a loop issues (nested loops counted with their trip counts): its instructions,
/// FFMAs, shared and global loads by width, integer divisions and 64-bit integer arithmetic.
/// </summary>
internal sealed record LoopProfile(
    int Instructions, int Ffma, int SharedLoads128, int SharedLoads, int GlobalLoads128, int GlobalLoads,
    int Divisions, int Calls, int WideIntegerOps, bool TripsKnown)
{
    /// <summary>FFMAs as a share of the instructions issued: the most of FP32 peak the loop can reach.</summary>
    public double FfmaShare => Instructions == 0 ? 0 : (double)Ffma / Instructions;

    /// <summary>
    /// The K loops of a GEMM-shaped kernel, in code order: the outermost loops that issue at least 16
    /// FFMAs per pass and at least half as many as the busiest (a kernel running two products, as a
    /// convolution's backward does, has two). Empty for a kernel with no such loop.
    /// </summary>
    public static List<LoopProfile> KLoops(IReadOnlyList<SassInstruction> code)
    {
        var loops = SassLoop.Find(code);
        var outermost = loops.Where(l => !loops.Any(o => o.Contains(l))).OrderBy(l => l.First).ToList();
        var profiles = outermost.Select(l => Measure(code, l, loops)).ToList();
        int most = profiles.Count == 0 ? 0 : profiles.Max(p => p.Ffma);
        return profiles.Where(p => p.Ffma >= 16 && 2 * p.Ffma >= most).ToList();
    }

    /// <summary>Counts over the whole kernel, once each (no loop weights): for kernels with no FFMA loop.</summary>
    public static LoopProfile Whole(IReadOnlyList<SassInstruction> code) =>
        Count(code.Select(i => (i, 1)), tripsKnown: true);

    private static LoopProfile Measure(IReadOnlyList<SassInstruction> code, SassLoop loop, List<SassLoop> loops)
    {
        var nested = loops.Where(loop.Contains).ToList();
        bool known = nested.All(n => n.Trips is not null);
        var weighted = new List<(SassInstruction, int)>();
        for (int i = loop.First; i <= loop.Last; i++)
        {
            int weight = 1;
            foreach (var inner in nested)
                if (inner.First <= i && i <= inner.Last)
                    weight *= inner.Trips ?? 1;
            weighted.Add((code[i], weight));
        }
        return Count(weighted, known);
    }

    private static LoopProfile Count(IEnumerable<(SassInstruction Instruction, int Weight)> weighted, bool tripsKnown)
    {
        int all = 0, ffma = 0, lds128 = 0, lds = 0, ldg128 = 0, ldg = 0, divisions = 0, calls = 0, wide = 0;
        foreach (var (instruction, weight) in weighted)
        {
            string op = instruction.Opcode;
            if (op == "NOP")
                continue;
            all += weight;
            switch (instruction.BaseOpcode)
            {
                case "FFMA":
                    ffma += weight;
                    break;
                case "LDS":
                    if (op.Contains(".128", StringComparison.Ordinal)) lds128 += weight; else lds += weight;
                    break;
                case "LDG":
                    if (op.Contains(".128", StringComparison.Ordinal)) ldg128 += weight; else ldg += weight;
                    break;
                case "I2F" when op.Contains(".RP", StringComparison.Ordinal):
                    divisions += weight; // the reciprocal estimate every run-time integer division starts with
                    break;
                case "CALL" when !instruction.Opcode.Contains(".NOINC", StringComparison.Ordinal):
                    calls += weight; // ptxas calls a routine for 64-bit division and remainder (CALL.REL.NOINC to the next instruction is a loop exit)
                    break;
            }
            if (IsWideInteger(instruction))
                wide += weight;
        }
        return new LoopProfile(all, ffma, lds128, lds, ldg128, ldg, divisions, calls, wide, tripsKnown);
    }

    // The high halves of 64-bit integer arithmetic: adds with carry (IADD3.X, IMAD.X, LEA.HI.X:
    // 64-bit indices or pointer sums) and 64-bit shifts. IMAD.WIDE, one instruction forming an
    // address from a 32-bit offset, is not counted.
    private static bool IsWideInteger(SassInstruction i) =>
        i.Opcode.StartsWith("IADD3.X", StringComparison.Ordinal)
        || i.Opcode.StartsWith("IMAD.X", StringComparison.Ordinal)
        || i.Opcode.StartsWith("LEA.HI.X", StringComparison.Ordinal)
        || i.Opcode.StartsWith("SHF.L.U64", StringComparison.Ordinal)
        || i.Opcode.StartsWith("SHF.R.U64", StringComparison.Ordinal)
        || i.Opcode.StartsWith("SHF.R.S64", StringComparison.Ordinal);
}
