using Engine.Tensors;

namespace Engine.Graph;

/// <summary>
/// An op that can run the ReLU reading its first output in the same pass (a convolution with a
/// bias, batch norm): its first output keeps the pre-activation, which ReLU's backward reads, and
/// the ReLU's output receives the activation. <see cref="CompiledGraph"/> pairs them.
/// </summary>
internal interface IReluFusable
{
    /// <summary>Whether this op, as configured, can fuse the ReLU.</summary>
    bool FusesRelu { get; }

    /// <summary>Forward, then the ReLU into <paramref name="activated"/> (the ReLU's output).</summary>
    void ForwardRelu(ExecutionContext c, Tensor activated);
}
