using System.Globalization;
using System.Text;
using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Tensors;

namespace Engine.Models;

/// <summary>
/// A layer table like torchinfo's: each op of the traced graph with its output shape and the
/// parameters it owns, and the total on the last line. Tracing needs no device memory.
/// </summary>
public static class ModelSummary
{
    /// <summary>The table for <paramref name="model"/> on an input of <paramref name="inputShape"/>.</summary>
    public static string Create(Module model, ComputeDevice device, Shape inputShape)
    {
        var g = new GraphBuilder(device, training: false);
        var output = model.Call(g.Input("input", inputShape));
        var counted = new HashSet<Parameter>();
        var rows = new List<(string Name, string Shape, long Parameters)> { ("input", inputShape.ToString(), 0) };
        foreach (var op in g.Ops)
        {
            long own = op.Parameters.Where(counted.Add).Sum(p => p.Shape.Numel);
            rows.Add((op.Name, op.Outputs[0].Shape.ToString(), own));
        }
        long total = model.ParameterCount;
        int width = Math.Max(24, rows.Max(r => r.Name.Length) + 2);
        var text = new StringBuilder();
        text.AppendLine($"{"Layer".PadRight(width)}{"Output shape",-24}{"Parameters",14}");
        foreach (var (name, shape, parameters) in rows)
            text.AppendLine($"{name.PadRight(width)}{shape,-24}{parameters.ToString("N0", CultureInfo.InvariantCulture),14}");
        text.AppendLine($"Output: {output.Shape}");
        text.Append($"Total parameters: {total.ToString("N0", CultureInfo.InvariantCulture)}");
        return text.ToString();
    }
}
