using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace Engine.Tests.Architecture;

/// <summary>
/// The metadata tokens a method body's IL names (the operands of <c>call</c>, <c>newobj</c>,
/// <c>ldfld</c>, <c>box</c>, <c>ldtoken</c>, <c>calli</c>'s signature and the like), read by walking
/// the instructions with the operand sizes of <see cref="OpCodes"/>. String literals are skipped.
/// </summary>
internal static class IlTokens
{
    // Opcode value (0xFE00 | second byte for the two-byte ones) -> its operand's kind.
    private static readonly Dictionary<ushort, OperandType> s_operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => unchecked((ushort)o.Value), o => o.OperandType);

    /// <summary>Every type, member and signature token in <paramref name="body"/>'s IL, in order.</summary>
    public static List<EntityHandle> Read(MethodBodyBlock body)
    {
        var tokens = new List<EntityHandle>();
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            ushort code = il.ReadByte();
            if (code == 0xFE)
                code = (ushort)(0xFE00 | il.ReadByte());
            if (!s_operands.TryGetValue(code, out var operand))
                throw new InvalidOperationException($"Unknown IL opcode 0x{code:X} at offset {il.Offset - 1}.");
            switch (operand)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType
                    or OperandType.InlineTok or OperandType.InlineSig:
                    tokens.Add(MetadataTokens.EntityHandle(il.ReadInt32()));
                    break;
                case OperandType.InlineSwitch:
                    int targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                default:
                    il.Offset += OperandSize(operand);
                    break;
            }
        }
        return tokens;
    }

    private static int OperandSize(OperandType operand) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}
