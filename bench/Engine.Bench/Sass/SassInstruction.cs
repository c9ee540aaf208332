using System.Text.RegularExpressions;

namespace Engine.Bench.Sass;

/// <summary>One machine instruction as <c>cuobjdump -sass</c> lists it: address, guard predicate, opcode with its modifiers, operands.</summary>
internal sealed partial record SassInstruction(int Address, string Guard, string Opcode, string Operands)
{
    /// <summary>The opcode without modifiers (<c>LDS</c> of <c>LDS.128</c>).</summary>
    public string BaseOpcode => Opcode.Split('.')[0];

    /// <summary>The address a branch jumps to, or null.</summary>
    public int? BranchTarget =>
        BaseOpcode == "BRA" && TargetPattern().Match(Operands) is { Success: true } m ? Convert.ToInt32(m.Groups[1].Value, 16) : null;

    /// <summary>Parses every instruction line of a listing, in address order.</summary>
    public static List<SassInstruction> Parse(string listing)
    {
        var list = new List<SassInstruction>();
        foreach (Match m in LinePattern().Matches(listing))
        {
            string guard = m.Groups["guard"].Value.Trim();
            list.Add(new SassInstruction(Convert.ToInt32(m.Groups["address"].Value, 16), guard, m.Groups["opcode"].Value, m.Groups["operands"].Value.Trim()));
        }
        return list;
    }

    [GeneratedRegex(@"^\s+/\*(?<address>[0-9a-f]{4,})\*/\s+(?<guard>@!?U?P[0-9T]\s+)?(?<opcode>[A-Z][A-Z0-9_.]*)(?<operands>[^;]*);", RegexOptions.Multiline)]
    private static partial Regex LinePattern();

    [GeneratedRegex(@"0x([0-9a-f]+)")]
    private static partial Regex TargetPattern();
}
