using System.Text.RegularExpressions;

namespace Engine.Bench.Sass;

/// <summary>
/// A loop of a kernel's machine code: the instructions from a backward branch's target to the
/// branch, and how many times it runs per entry when its counter can be read off the code (a
/// register set to a constant before the loop, stepped by a constant and compared with one).
/// </summary>
internal sealed partial record SassLoop(int First, int Last, int? Trips)
{
    /// <summary>True when <paramref name="other"/> lies inside this loop and is not this loop.</summary>
    public bool Contains(SassLoop other) => other != this && First <= other.First && other.Last <= Last;

    /// <summary>Every loop of <paramref name="code"/>, found from its backward branches.</summary>
    public static List<SassLoop> Find(IReadOnlyList<SassInstruction> code)
    {
        var index = new Dictionary<int, int>();
        for (int i = 0; i < code.Count; i++)
            index[code[i].Address] = i;
        var loops = new List<SassLoop>();
        for (int i = 0; i < code.Count; i++)
        {
            if (code[i].BranchTarget is int target && target <= code[i].Address && index.TryGetValue(target, out int first))
                loops.Add(new SassLoop(first, i, TripCount(code, first, i)));
        }
        return loops;
    }

    // The loop's trip count when it is a counted loop: `@[!]P BRA first` at the end, P set by
    // `ISETP.<cmp>.AND P, PT, R, limit`, R stepped by `IADD3 R, R, step` in the body, and set to a
    // constant before the loop (MOV / IMAD.MOV.U32 / HFMA2.MMA of zero, or an immediate).
    private static int? TripCount(IReadOnlyList<SassInstruction> code, int first, int last)
    {
        var branch = code[last];
        string predicate = branch.Guard.TrimStart('@').TrimStart('!');
        bool negated = branch.Guard.StartsWith("@!", StringComparison.Ordinal);
        if (predicate.Length == 0)
            return null;
        for (int i = last - 1; i >= first; i--)
        {
            var compare = CompareImmediate().Match($"{code[i].Opcode} {code[i].Operands}");
            if (!compare.Success || compare.Groups["p"].Value != predicate)
                continue;
            string counter = compare.Groups["r"].Value;
            int limit = Convert.ToInt32(compare.Groups["limit"].Value, 16);
            int? step = null;
            for (int j = first; j < last; j++)
            {
                var add = AddImmediate().Match($"{code[j].Opcode} {code[j].Operands}");
                if (add.Success && add.Groups["d"].Value == counter && add.Groups["s"].Value == counter)
                    step = Convert.ToInt32(add.Groups["step"].Value, 16);
            }
            int? start = InitialValue(code, first, counter);
            if (step is not > 0 || start is null)
                return null;
            // The loop goes on while the compare is false (@!P) or true (@P).
            string cmp = compare.Groups["cmp"].Value;
            bool exitsAtLimit = (cmp is "GE" or "NE") && negated || cmp == "LT" && !negated;
            if (!exitsAtLimit)
                return null;
            return Math.Max(1, (limit - start.Value + step.Value - 1) / step.Value);
        }
        return null;
    }

    private static int? InitialValue(IReadOnlyList<SassInstruction> code, int first, string register)
    {
        for (int i = first - 1; i >= 0; i--)
        {
            string operands = code[i].Operands;
            if (!operands.StartsWith(register + ",", StringComparison.Ordinal))
                continue;
            string text = $"{code[i].Opcode} {operands}";
            if (ZeroInit().IsMatch(text))
                return 0;
            var immediate = ImmediateInit().Match(text);
            return immediate.Success ? Convert.ToInt32(immediate.Groups["v"].Value, 16) : null;
        }
        return null;
    }

    [GeneratedRegex(@"^U?ISETP\.(?<cmp>GE|NE|LT|GT)\.AND (?<p>U?P\d), U?PT, (?<r>U?R\d+), 0x(?<limit>[0-9a-f]+), U?PT$")]
    private static partial Regex CompareImmediate();

    [GeneratedRegex(@"^U?IADD3 (?<d>U?R\d+), (?<s>U?R\d+), 0x(?<step>[0-9a-f]+), U?RZ$")]
    private static partial Regex AddImmediate();

    [GeneratedRegex(@"^(MOV U?R\d+, U?RZ|IMAD\.MOV\.U32 R\d+, RZ, RZ, RZ|HFMA2\.MMA R\d+, -RZ, RZ, 0, 0|CS2R R\d+, SRZ)$")]
    private static partial Regex ZeroInit();

    [GeneratedRegex(@"^(MOV U?R\d+|IMAD\.MOV\.U32 R\d+, RZ, RZ), 0x(?<v>[0-9a-f]+)$")]
    private static partial Regex ImmediateInit();
}
