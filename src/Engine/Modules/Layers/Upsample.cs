using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Convolution;
using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;
using Engine.Tensors;

namespace Engine.Modules.Layers;

/// <summary><c>nn.Upsample(size | scale_factor, mode, align_corners)</c>; size and scale factor one value or one per axis.</summary>
public sealed class Upsample(Pair? size = null, ScaleFactor? scaleFactor = null, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false) : Module
{
    /// <inheritdoc/>
    protected override Node Forward(Node input)
    {
        var spec = InterpolateSpec.Create(input.Shape, size, scaleFactor is { } f ? (f.H, f.W) : null, mode, alignCorners);
        var g = input.Graph;
        return g.Add(new InterpolateNode(g.OpName("upsample"), spec, input), (spec.OutputShape, ValueKind.Float))[0];
    }
}
