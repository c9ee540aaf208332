using Engine.Ops.Layout;

namespace Engine.Graph.Nodes;

/// <summary>A window of the last two dims at (<see cref="Top"/>, <see cref="Left"/>): U-Net's centre crop, FCN's Caffe crop.</summary>
public sealed class CropNode(string name, Node x, int top, int left) : GraphOp(name, x)
{
    /// <summary>The window's first row.</summary>
    public int Top { get; } = top;

    /// <summary>The window's first column.</summary>
    public int Left { get; } = left;

    /// <inheritdoc/>
    public override IEnumerable<Node> SavedForBackward => [];

    /// <inheritdoc/>
    public override void Forward(ExecutionContext c) => CropOp.Forward(c.Value(Inputs[0]), c.Value(Outputs[0]), Top, Left);

    /// <inheritdoc/>
    public override void Backward(ExecutionContext c)
    {
        var (dx, accumulate) = c.InputGrad(this, 0);
        if (dx is not null)
            CropOp.Backward(c.Grad(Outputs[0])!, dx, Top, Left, accumulate);
    }
}
